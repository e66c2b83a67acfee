/**
 * The audit export over HTTP (JSON lines and CSV), then verified offline by the built CLI
 * (`node bin/dondoc.js audit replay`) as an auditor would, without any database; a tampered copy
 * fails naming the obligation.
 */
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { ExportService } from '../../src/audit/export.service.js';
import { EXPORT_FIELDS, type ExportRow } from '../../src/audit/offline-replay.js';
import { canonicalJson } from '../../src/core/audit/event-hash.js';
import { Database, intValue } from '../../src/database/database.js';
import { SweepService } from '../../src/timers/sweep.service.js';
import { describeEachDatabase } from '../support/databases.js';
import { loginAll, seedUsers, type TestUsername } from '../support/http-auth.js';
import { createTestHttpApp, type TestHarness } from '../support/test-app.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'dondoc.js');
const PLAN = 'thanh-hoa-nq46';
/** A summary with diacritics, a comma, quotes and a line break: the CSV must quote it. */
const SUMMARY = 'Đã hoàn thành "đợt 1", tổ chức 12 hội nghị;\nđạt 100% chỉ tiêu Nghị quyết 46';

/** The response body as raw bytes, whatever its content type. */
function raw(res: request.Response, cb: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
}

/** RFC 4180 records (CRLF line ends, quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i += 2;
      continue;
    }
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === ',') {
      record.push(field);
      field = '';
    } else if (!quoted && c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 1;
    } else field += c;
    i += 1;
  }
  if (field || record.length) records.push([...record, field]);
  return records;
}

function dondoc(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('DONDOC_') || key === 'DATABASE_URL') delete env[key];
  }
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describeEachDatabase('audit export', (dialect) => {
  let h: TestHarness<NestExpressApplication>;
  let http: ReturnType<typeof request>;
  let tok: Record<TestUsername, string>;
  let ids: Record<string, string>;
  let eventCount: number;
  let jsonl: string;
  let dir: string;

  const as = (user: TestUsername) => ({
    get: (url: string) => http.get(url).set('Authorization', `Bearer ${tok[user]}`),
    post: (url: string) => http.post(url).set('Authorization', `Bearer ${tok[user]}`),
  });
  const exportUrl = (format: string) =>
    `/api/audit/export?planId=${PLAN}&year=2025&format=${format}`;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-export-'));
    h = await createTestHttpApp(dialect);
    http = request(h.app.getHttpServer());
    await seedUsers(h.app);
    tok = await loginAll(http);
    const opened = await as('admin').post(`/api/plans/${PLAN}/cycles`).send({ year: 2025 });
    expect(opened.status).toBe(201);
    ids = Object.fromEntries(
      (opened.body.obligations as Array<{ agencyCode: string; id: string }>).map((o) => [
        o.agencyCode,
        o.id,
      ]),
    );
    const send = (user: TestUsername, code: string, body: object) =>
      as(user).post(`/api/obligations/${ids[code]}/events`).send(body).expect(200);
    await send('canbo.sct', 'SO_CONGTHUONG', {
      type: 'START_IMPLEMENTATION',
      payload: { planRef: '15/KH-SCT' },
    });
    await send('canbo.sct', 'SO_CONGTHUONG', {
      type: 'SUBMIT_REPORT',
      payload: { reportRef: '301/BC-SCT', summary: SUMMARY },
    });
    await send('tonghop.snn', 'SO_CONGTHUONG', {
      type: 'RETURN_REPORT',
      payload: { reason: 'Thiếu số liệu quý III, đề nghị bổ sung' },
    });
    await send('canbo.snn', 'SO_NNPTNT', {
      type: 'START_IMPLEMENTATION',
      payload: { planRef: '7/KH-SNN' },
    });
    // 16/10: the scheduler's first reminder for every obligation.
    h.clock.set(new Date('2025-10-15T17:00:00.000Z'));
    // 53: the 2025 roster (Đông Sơn merged into the city on 01/01/2025).
    expect(await h.app.get(SweepService).sweep()).toHaveLength(53);
    tok = await loginAll(http);
    const [row] = await h.app
      .get(Database)
      .read((sql) => sql.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM obligation_events'));
    eventCount = intValue(row!.n);
    expect(eventCount).toBe(53 + 4 + 53);
  });
  afterAll(async () => {
    await h?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('over HTTP', () => {
    it('JSON lines: one line per event with the chain fields, as an attachment', async () => {
      const res = await as('kiemtoan').get(exportUrl('jsonl')).buffer(true).parse(raw).expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/x-ndjson; charset=utf-8/);
      expect(res.headers['content-disposition']).toBe(
        `attachment; filename="dondoc-${PLAN}-2025.jsonl"`,
      );
      jsonl = (res.body as Buffer).toString('utf8');
      const lines = jsonl.split('\n').filter(Boolean);
      expect(lines).toHaveLength(eventCount);
      const rows = lines.map((l) => JSON.parse(l) as ExportRow);
      expect(Object.keys(rows[0]!)).toEqual(EXPORT_FIELDS);
      expect(new Set(rows.map((r) => r.ledgerPosition)).size).toBe(eventCount);
      expect(Number(res.headers['x-dondoc-ledger-head'])).toBe(eventCount);
      // Ordered by obligation, then seq.
      const keys = rows.map((r) => [r.obligationId, r.seq] as const);
      const sorted = [...keys].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
      expect(keys).toEqual(sorted);
      const submit = rows.find((r) => r.type === 'SUBMIT_REPORT')!;
      expect(submit).toMatchObject({
        obligationId: ids.SO_CONGTHUONG,
        planId: PLAN,
        year: 2025,
        agencyCode: 'SO_CONGTHUONG',
        seq: 3,
        payload: { reportRef: '301/BC-SCT', summary: SUMMARY },
        actor: 'canbo.sct',
        reason: null,
        stageAfter: 'report_submitted',
        machineVersion: 'annual-report@1',
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        ledgerHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      const history = await as('kiemtoan')
        .get(`/api/obligations/${ids.SO_CONGTHUONG}/history`)
        .expect(200);
      const mine = rows.filter((r) => r.obligationId === ids.SO_CONGTHUONG);
      expect(mine.map((r) => [r.seq, r.type, r.prevHash, r.hash])).toEqual(
        (history.body as ExportRow[]).map((e) => [e.seq, e.type, e.prevHash, e.hash]),
      );
    });

    it('CSV: UTF-8 with a BOM, a header row, RFC 4180 quoting; Vietnamese text round-trips', async () => {
      const res = await as('tonghop.snn').get(exportUrl('csv')).buffer(true).parse(raw).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
      expect(res.headers['content-disposition']).toBe(
        `attachment; filename="dondoc-${PLAN}-2025.csv"`,
      );
      const body = res.body as Buffer;
      expect([...body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const text = body.toString('utf8').slice(1);
      expect(text.endsWith('\r\n')).toBe(true);
      const [header, ...records] = parseCsv(text);
      expect(header).toEqual(EXPORT_FIELDS);
      expect(records).toHaveLength(eventCount);
      expect(records.every((r) => r.length === EXPORT_FIELDS.length)).toBe(true);
      const col = (name: keyof ExportRow) => EXPORT_FIELDS.indexOf(name);
      const submit = records.find((r) => r[col('type')] === 'SUBMIT_REPORT')!;
      expect(JSON.parse(submit[col('payload')]!)).toEqual({
        reportRef: '301/BC-SCT',
        summary: SUMMARY,
      });
      const returned = records.find((r) => r[col('type')] === 'RETURN_REPORT')!;
      expect(JSON.parse(returned[col('payload')]!).reason).toBe(
        'Thiếu số liệu quý III, đề nghị bổ sung',
      );
      expect(submit[col('reason')]).toBe('');
      const rows = jsonl.split('\n').filter(Boolean);
      expect(records.map((r) => r[col('hash')])).toEqual(
        rows.map((l) => (JSON.parse(l) as ExportRow).hash),
      );
    });

    it('Export is for admin, auditor, leader and aggregator; officers get 403', async () => {
      for (const user of ['admin', 'lanhdao.ubnd'] as const) {
        await as(user).get(exportUrl('jsonl')).buffer(true).parse(raw).expect(200);
      }
      const res = await as('canbo.sct').get(exportUrl('jsonl')).expect(403);
      expect(res.body.code).toBe('FORBIDDEN');
    });

    it('A bad format or year is 400; an unknown plan or cycle is 404, as JSON', async () => {
      const bad = await as('kiemtoan').get(exportUrl('xlsx')).expect(400);
      expect(bad.body).toMatchObject({ code: 'VALIDATION_FAILED', fields: [{ path: 'format' }] });
      await as('kiemtoan').get(`/api/audit/export?planId=${PLAN}&format=csv`).expect(400);
      const plan = await as('kiemtoan').get('/api/audit/export?planId=x&year=2025').expect(404);
      expect(plan.body.code).toBe('NOT_FOUND');
      await as('kiemtoan').get(`/api/audit/export?planId=${PLAN}&year=2026`).expect(404);
      // Without a format, JSON lines.
      const dflt = await as('kiemtoan')
        .get(`/api/audit/export?planId=${PLAN}&year=2025`)
        .buffer(true)
        .parse(raw)
        .expect(200);
      expect(dflt.headers['content-type']).toMatch(/^application\/x-ndjson/);
    });

    it('Pages of any size give the same events (keyset pages cut inside obligations)', async () => {
      const pages: ExportRow[][] = [];
      for await (const page of h.app.get(ExportService).pages(PLAN, 2025, eventCount, 7)) {
        expect(page.length).toBeLessThanOrEqual(7);
        pages.push(page);
      }
      expect(pages.length).toBe(Math.ceil(eventCount / 7));
      expect(pages.flat().map((r) => JSON.stringify(r))).toEqual(jsonl.split('\n').filter(Boolean));
      // A cut at the ledger head leaves out later events.
      const early: ExportRow[] = [];
      for await (const page of h.app.get(ExportService).pages(PLAN, 2025, 53, 10))
        early.push(...page);
      expect(early.map((r) => r.type)).toEqual(Array(53).fill('OBLIGATION_OPENED'));
    });
  });

  describe('offline: dondoc audit replay', () => {
    const file = () => path.join(dir, 'export.jsonl');
    const write = (name: string, text: string) => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, text);
      return p;
    };

    it('verifies the export and prints each obligation’s replayed stage (exit 0)', async () => {
      fs.writeFileSync(file(), jsonl);
      const r = dondoc(['audit', 'replay', file()]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const listed = await as('kiemtoan')
        .get(`/api/obligations?planId=${PLAN}&year=2025&pageSize=100`)
        .expect(200);
      const items = listed.body.items as Array<{ id: string; agencyCode: string; stage: string }>;
      expect(items).toHaveLength(53);
      for (const o of items) {
        expect(r.stdout).toMatch(new RegExp(`${o.id}\\s+${o.agencyCode}\\s+2025\\s+${o.stage}\\s`));
      }
      expect(r.stdout).toContain(`53 obligation(s), ${eventCount} event(s)`);
      expect(r.stdout).toContain('OK: no problems.');

      const j = dondoc(['audit', 'replay', file(), '--json']);
      expect(j.status).toBe(0);
      const report = JSON.parse(j.stdout);
      expect(report).toMatchObject({ ok: true, events: eventCount, problems: [] });
      expect(report.ledger).toEqual({ first: 1, last: eventCount, linksChecked: eventCount });
      const ct = report.obligations.find(
        (o: { agencyCode: string }) => o.agencyCode === 'SO_CONGTHUONG',
      );
      expect(ct).toMatchObject({ stage: 'implementing', escalationLevel: 0, eventsApplied: 5 });
    });

    it('a changed payload character fails with HASH_MISMATCH naming the obligation (exit 1)', () => {
      const tampered = jsonl.replace('tổ chức 12 hội nghị', 'tổ chức 13 hội nghị');
      expect(tampered).not.toBe(jsonl);
      const r = dondoc(['audit', 'replay', write('tampered.jsonl', tampered)]);
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(
        new RegExp(`HASH_MISMATCH obligation ${ids.SO_CONGTHUONG} seq 3 line \\d+`),
      );
      expect(r.stdout).toMatch(new RegExp(`${ids.SO_CONGTHUONG}\\s+SO_CONGTHUONG.*HASH_MISMATCH`));
      expect(r.stderr).toContain('error: the export does not verify: 1 problem(s) (HASH_MISMATCH)');
    });

    it('a changed stage, a missing event and a reordered ledger are each caught', () => {
      const lines = jsonl.split('\n').filter(Boolean);
      const rows = lines.map((l) => JSON.parse(l) as ExportRow);
      const i = rows.findIndex((r) => r.type === 'RETURN_REPORT');
      const stage = [...lines];
      stage[i] = JSON.stringify({ ...rows[i], stageAfter: 'aggregated' });
      const r1 = dondoc(['audit', 'replay', write('stage.jsonl', stage.join('\n') + '\n')]);
      expect(r1.status).toBe(1);
      expect(r1.stdout).toContain(`REPLAY_MISMATCH obligation ${ids.SO_CONGTHUONG} seq 4`);

      const gap = lines.filter((_, k) => k !== i);
      const r2 = dondoc(['audit', 'replay', write('gap.jsonl', gap.join('\n') + '\n')]);
      expect(r2.status).toBe(1);
      expect(r2.stdout).toContain(`SEQUENCE_GAP obligation ${ids.SO_CONGTHUONG} seq 5`);

      const ledger = [...lines];
      ledger[i] = JSON.stringify({ ...rows[i], ledgerPrevHash: 'f'.repeat(64) });
      const r3 = dondoc(['audit', 'replay', write('ledger.jsonl', ledger.join('\n') + '\n')]);
      expect(r3.status).toBe(1);
      expect(r3.stdout).toContain('LEDGER_MISMATCH');
    });

    it('checks a checkpoint’s ledger hash, and its signature when given the key', () => {
      const rows = jsonl
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as ExportRow);
      const at = rows.find((r) => r.ledgerPosition === 60)!;
      const key = 'k'.repeat(40);
      const unsigned = {
        position: 60,
        hash: at.ledgerHash!,
        eventCount: 60,
        createdAt: '2025-10-16T00:00:00.000Z',
        algorithm: 'HMAC-SHA256',
      };
      // As `dondoc audit checkpoint` signs: HMAC-SHA256 over the canonical JSON of four facts.
      const { algorithm: _algorithm, ...facts } = unsigned;
      const signature = createHmac('sha256', key).update(canonicalJson(facts)).digest('hex');
      const cp = write('checkpoint.json', JSON.stringify({ ...unsigned, signature }));
      const keyFile = write('audit.key', key + '\n');

      const noKey = dondoc(['audit', 'replay', file(), '--checkpoint', cp]);
      expect(noKey.status).toBe(0);
      expect(noKey.stdout).toContain(
        'Checkpoint at position 60: the ledger entry has its hash; signature not checked (no key).',
      );
      const withKey = dondoc([
        'audit',
        'replay',
        file(),
        '--checkpoint',
        cp,
        '--key-file',
        keyFile,
      ]);
      expect(withKey.status).toBe(0);
      expect(withKey.stdout).toContain('signature valid');

      const wrongKey = dondoc([
        'audit',
        'replay',
        file(),
        '--checkpoint',
        cp,
        '--key-file',
        write('other.key', 'x'.repeat(40)),
      ]);
      expect(wrongKey.status).toBe(1);
      expect(wrongKey.stdout).toContain('signature invalid');

      const forged = write(
        'forged.json',
        JSON.stringify({ ...unsigned, hash: 'a'.repeat(64), signature }),
      );
      const r = dondoc(['audit', 'replay', file(), '--checkpoint', forged]);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain('CHECKPOINT_MISMATCH');

      const beyond = write(
        'beyond.json',
        JSON.stringify({ ...unsigned, position: 10_000, signature }),
      );
      const b = dondoc(['audit', 'replay', file(), '--checkpoint', beyond]);
      expect(b.status).toBe(0);
      expect(b.stdout).toContain('not covered by this export');
    });

    it('usage errors exit 2 with a clear message', () => {
      const missing = dondoc(['audit', 'replay', path.join(dir, 'nope.jsonl')]);
      expect(missing.status).toBe(2);
      expect(missing.stderr).toBe(
        `error: export file not found: ${path.join(dir, 'nope.jsonl')}\n`,
      );
      const noCp = dondoc(['audit', 'replay', file(), '--checkpoint', path.join(dir, 'nope.json')]);
      expect(noCp.status).toBe(2);
      expect(noCp.stderr).toContain('checkpoint file not found');
      const badCp = dondoc(['audit', 'replay', file(), '--checkpoint', write('bad.json', '{}')]);
      expect(badCp.status).toBe(2);
      expect(badCp.stderr).toContain('position must be a whole number');
      const md5 = dondoc([
        'audit',
        'replay',
        file(),
        '--checkpoint',
        write(
          'md5.json',
          JSON.stringify({
            position: 1,
            hash: 'a'.repeat(64),
            eventCount: 1,
            createdAt: '2025-10-16T00:00:00.000Z',
            signature: 'b'.repeat(32),
            algorithm: 'MD5',
          }),
        ),
      ]);
      expect(md5.status).toBe(2);
      expect(md5.stderr).toContain('algorithm must be "HMAC-SHA256"');
      expect(dondoc(['audit', 'replay']).status).toBe(2);
      const csv = dondoc(['audit', 'replay', write('export.csv', '\uFEFFobligationId,planId\r\n')]);
      expect(csv.status).toBe(2);
      expect(csv.stderr).toContain('is not a JSON lines export');
    });
  });
});
