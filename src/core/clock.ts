/** Where time comes from. Injected everywhere; the core itself only takes `now` as an argument. */
export interface Clock {
  now(): Date;
}
