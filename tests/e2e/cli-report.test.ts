/**
 * `dondoc report`, run as a child process exactly as a user runs it, on a fresh SQLite data
 * folder: it writes both documents into a folder, as of now or `--at`, and they read back.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import ExcelJS from 'exceljs';
import mammoth from 'mammoth';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'dondoc.js');
const PLAN = 'thanh-hoa-nq46';
const DOCX_NAME = 'bao-cao-tong-hop-thanh-hoa-nq46-nam-2025.docx';
const XLSX_NAME = 'bang-tinh-trang-bao-cao-thanh-hoa-nq46-nam-2025.xlsx';

function dondoc(args: string[], env: NodeJS.ProcessEnv) {
  const clean = { ...process.env };
  for (const key of Object.keys(clean)) {
    if (key.startsWith('DONDOC_') || key === 'DATABASE_URL') delete clean[key];
  }
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...clean, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// dist/ is built once by the Jest global setup (tests/global-setup.js). Each test spawns the CLI
// two or three times: allow for a loaded machine.
const SLOW = 120_000;

describe('dondoc report', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-cli-report-'));
    env = { DONDOC_DATA_DIR: dataDir, DONDOC_ADMIN_PASSWORD: 'admin-password-for-tests' };
    const opened = dondoc(
      ['cycle', 'open', '--plan', PLAN, '--year', '2025', '--as', 'admin'],
      env,
    );
    expect(opened.status).toBe(0);
  }, SLOW);
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it(
    'writes the DOCX and the XLSX into a new folder and names the as-of time and the hash',
    async () => {
      const out = path.join(dataDir, 'out', 'now');
      const r = dondoc(['report', '--plan', PLAN, '--year', '2025', '--out', out], env);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines[0]).toMatch(new RegExp(`^Wrote ${out}/${DOCX_NAME} \\(\\d+ bytes\\)$`));
      expect(lines[1]).toMatch(new RegExp(`^Wrote ${out}/${XLSX_NAME} \\(\\d+ bytes\\)$`));
      const [, at, hash] = /^Data as of (\S+); content hash \(SHA-256\) ([0-9a-f]{64})$/.exec(
        lines[2]!,
      )!;
      const text = (await mammoth.extractRawText({ path: path.join(out, DOCX_NAME) })).value;
      // Issued now, after the reorganisation of 01/3/2025: by the aggregator's successor.
      expect(text).toContain('SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG');
      expect(text).toContain(`Mã kiểm tra dữ liệu (SHA-256): ${hash}`);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(path.join(out, XLSX_NAME));
      expect(wb.getWorksheet('Tình trạng')!.getCell('A4').value).toBe(
        `Mã kiểm tra dữ liệu (SHA-256): ${hash}`,
      );
      expect(Date.parse(at!)).toBeLessThanOrEqual(Date.now());
    },
    SLOW,
  );

  it(
    '--at gives the documents as of then; the same --at twice gives the same bytes',
    async () => {
      const run = (dir: string) => {
        const r = dondoc(
          [
            'report',
            '--plan',
            PLAN,
            '--year',
            '2025',
            '--out',
            dir,
            '--at',
            '2025-11-01T00:00:00+07:00',
            '--json',
          ],
          env,
        );
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        return JSON.parse(r.stdout) as {
          at: string;
          contentHash: string;
          files: { file: string }[];
        };
      };
      const a = run(path.join(dataDir, 'out', 'a'));
      const b = run(path.join(dataDir, 'out', 'b'));
      expect(a.at).toBe('2025-10-31T17:00:00.000Z');
      expect(b.contentHash).toBe(a.contentHash);
      for (const [i, f] of a.files.entries()) {
        expect(fs.readFileSync(f.file).equals(fs.readFileSync(b.files[i]!.file))).toBe(true);
      }
      const text = (await mammoth.extractRawText({ path: a.files[0]!.file })).value;
      expect(text).toContain('Thanh Hóa, ngày 01 tháng 11 năm 2025');
      // Before the deadline, all 53 (the 2025 roster) are in progress on time.
      expect(text).toContain(
        'Tổng số cơ quan, đơn vị phải báo cáo: 53. Đã gửi báo cáo: 0 (đúng hạn: 0; quá hạn: 0). ' +
          'Chưa gửi báo cáo: 53, trong đó đã quá hạn: 0.',
      );
    },
    SLOW,
  );

  it(
    'a bad --at is a usage error naming it; an unknown cycle is not found; nothing is written',
    () => {
      const out = path.join(dataDir, 'out', 'bad');
      const bad = dondoc(
        ['report', '--plan', PLAN, '--year', '2025', '--out', out, '--at', '1/11/2025'],
        env,
      );
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/^error: invalid --at: expected an ISO 8601 instant/m);
      const missing = dondoc(['report', '--plan', PLAN, '--year', '2031', '--out', out], env);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toContain(
        'not found: Cycle 2031 of plan "thanh-hoa-nq46" is not open',
      );
      expect(fs.existsSync(out)).toBe(false);
    },
    SLOW,
  );
});
