/**
 * Sets every entry's modification time in a zip file (DOCX and XLSX are zip packages) to one
 * fixed date, so that the same content always gives the same bytes: the zip libraries stamp
 * entries with the current time. Only the DOS time and date fields of the local and central
 * headers change; they are outside every CRC. Pure: returns a new buffer.
 */
import { DateTime } from 'luxon';

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;

/** A civil date and time (no zone: zip stores local wall time) as the DOS date and time words. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function dosWords(t: WallTime): { time: number; date: number } {
  if (t.year < 1980 || t.year > 2107) throw new RangeError(`zip cannot store the year ${t.year}`);
  return {
    time: (t.hour << 11) | (t.minute << 5) | Math.floor(t.second / 2),
    date: ((t.year - 1980) << 9) | (t.month << 5) | t.day,
  };
}

/** Finds the end-of-central-directory record (it may be followed by a comment of ≤ 65535 bytes). */
function endOfCentralDirectory(zip: Buffer): number {
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === END_OF_CENTRAL_DIRECTORY) return i;
  }
  throw new Error('not a zip file: no end of central directory');
}

export function fixZipTimestamps(bytes: Uint8Array, at: WallTime): Buffer {
  const zip = Buffer.from(bytes);
  const { time, date } = dosWords(at);
  const eocd = endOfCentralDirectory(zip);
  const entries = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let n = 0; n < entries; n++) {
    if (zip.readUInt32LE(p) !== CENTRAL_HEADER) throw new Error(`bad central header at ${p}`);
    zip.writeUInt16LE(time, p + 12);
    zip.writeUInt16LE(date, p + 14);
    const local = zip.readUInt32LE(p + 42);
    if (zip.readUInt32LE(local) !== LOCAL_HEADER) throw new Error(`bad local header at ${local}`);
    zip.writeUInt16LE(time, local + 10);
    zip.writeUInt16LE(date, local + 12);
    p += 46 + zip.readUInt16LE(p + 28) + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
  }
  return zip;
}

/**
 * fixZipTimestamps with the wall time of the instant `at` (ISO) in `zone`; an instant outside
 * what zip can store (1980–2107) is clamped to its nearest end.
 */
export function stampPackage(bytes: Uint8Array, at: string, zone: string): Buffer {
  const first = DateTime.fromObject({ year: 1980, month: 1, day: 1 }, { zone });
  const last = DateTime.fromObject(
    { year: 2107, month: 12, day: 31, hour: 23, minute: 59 },
    { zone },
  );
  const wall = DateTime.fromISO(at, { zone: 'utc' }).setZone(zone);
  const t = wall < first ? first : wall > last ? last : wall;
  return fixZipTimestamps(bytes, {
    year: t.year,
    month: t.month,
    day: t.day,
    hour: t.hour,
    minute: t.minute,
    second: t.second,
  });
}
