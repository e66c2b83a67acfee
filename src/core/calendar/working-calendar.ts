/**
 * Working days in a time zone: weekends, public holidays, announced days off and make-up working
 * days. Pure: implementations are built from data that the I/O edge loads.
 */
export interface WorkingCalendar {
  /** IANA zone the civil dates are in (Asia/Ho_Chi_Minh). */
  readonly zone: string;
  /** Changes whenever the data changes, so stored deadlines can be recomputed. */
  readonly fingerprint: string;
  isWorkingDay(civilDate: string): boolean;
  /** Why a civil date (YYYY-MM-DD) is not a working day, in words, or null when it is one. */
  whyNotWorking(civilDate: string): string | null;
  /**
   * The civil date `n` working days after `civilDate` (n > 0), or before it (n < 0).
   * n = 0 returns `civilDate` itself, working day or not.
   */
  addWorkingDays(civilDate: string, n: number): string;
}

/** Weekends only, in the given zone: for tests and as a fallback with no holiday data. */
export function weekendCalendar(zone = 'Asia/Ho_Chi_Minh'): WorkingCalendar {
  const weekday = (d: string) => new Date(`${d}T00:00:00Z`).getUTCDay();
  const shift = (d: string, days: number) =>
    new Date(Date.parse(`${d}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
  const cal: WorkingCalendar = {
    zone,
    fingerprint: 'weekends-only',
    isWorkingDay: (d) => weekday(d) !== 0 && weekday(d) !== 6,
    whyNotWorking: (d) => (weekday(d) === 6 ? 'Saturday' : weekday(d) === 0 ? 'Sunday' : null),
    addWorkingDays: (d, n) => {
      let date = d;
      const step = n >= 0 ? 1 : -1;
      for (let left = Math.abs(n); left > 0;) {
        date = shift(date, step);
        if (cal.isWorkingDay(date)) left -= 1;
      }
      return date;
    },
  };
  return cal;
}
