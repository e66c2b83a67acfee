import { describe, expect, it } from '@jest/globals';
import { CommandTally } from '../../../src/metrics/command-tally.js';

const names = {
  counter: 't_commands_total',
  counterHelp: 'Commands',
  histogram: 't_seconds',
  histogramHelp: 'Latency',
};

describe('the command tally', () => {
  it('writes counts by type and result, and cumulative latency buckets, in the text format', () => {
    const tally = new CommandTally(names, [0.25, 1]);
    tally.record('SUBMIT_REPORT', 'ok', 0.125);
    tally.record('SUBMIT_REPORT', 'ok', 0.5);
    tally.record('SUBMIT_REPORT', 'VERSION_CONFLICT', 2);
    tally.record('AGGREGATE', 'ok', 1);
    expect(tally.exposition().split('\n')).toEqual([
      '# HELP t_commands_total Commands',
      '# TYPE t_commands_total counter',
      't_commands_total{type="SUBMIT_REPORT",result="ok"} 2',
      't_commands_total{type="SUBMIT_REPORT",result="VERSION_CONFLICT"} 1',
      't_commands_total{type="AGGREGATE",result="ok"} 1',
      '',
      '# HELP t_seconds Latency',
      '# TYPE t_seconds histogram',
      't_seconds_bucket{le="0.25",type="SUBMIT_REPORT"} 1',
      't_seconds_bucket{le="1",type="SUBMIT_REPORT"} 2',
      't_seconds_bucket{le="+Inf",type="SUBMIT_REPORT"} 3',
      't_seconds_sum{type="SUBMIT_REPORT"} 2.625',
      't_seconds_count{type="SUBMIT_REPORT"} 3',
      // A value equal to a bound falls in that bucket (le = less or equal).
      't_seconds_bucket{le="0.25",type="AGGREGATE"} 0',
      't_seconds_bucket{le="1",type="AGGREGATE"} 1',
      't_seconds_bucket{le="+Inf",type="AGGREGATE"} 1',
      't_seconds_sum{type="AGGREGATE"} 1',
      't_seconds_count{type="AGGREGATE"} 1',
      '',
    ]);
  });

  it('escapes label values', () => {
    const tally = new CommandTally(names, [1]);
    tally.record('a"b\\c\nd', 'ok', 0.5);
    expect(tally.exposition()).toContain('t_commands_total{type="a\\"b\\\\c\\nd",result="ok"} 1');
  });
});
