/** Reads one entry of a zip package (DOCX, XLSX) in tests: its text and its header times. */
import { inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  /** DOS time and date words of the central header. */
  time: number;
  date: number;
  data: Buffer;
}

export function zipEntries(bytes: Uint8Array): ZipEntry[] {
  const zip = Buffer.from(bytes);
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('not a zip file');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const out: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    const method = zip.readUInt16LE(p + 10);
    const size = zip.readUInt32LE(p + 20);
    const nameLength = zip.readUInt16LE(p + 28);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLength);
    const local = zip.readUInt32LE(p + 42);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + size);
    out.push({
      name,
      time: zip.readUInt16LE(p + 12),
      date: zip.readUInt16LE(p + 14),
      data: method === 8 ? inflateRawSync(raw) : Buffer.from(raw),
    });
    p += 46 + nameLength + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
  }
  return out;
}

export function zipText(bytes: Uint8Array, name: string): string {
  const entry = zipEntries(bytes).find((e) => e.name === name);
  if (!entry) throw new Error(`no ${name} in the package`);
  return entry.data.toString('utf8');
}
