/** The lifecycle diagram's layout, from the machine definitions the API serves. */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { describeMachine } from '../../../src/core/machine/obligation-engine.js';
import { layoutModule, type LayoutModule, type Machine } from './web-modules.js';

let m: LayoutModule;
beforeAll(async () => {
  m = await layoutModule();
});

describe('lifecycle layout', () => {
  it('puts annual-report@1 on one path, returns going back, withdrawal as a side exit', () => {
    const layout = m.layoutMachine(describeMachine('annual-report@1') as Machine);
    expect(layout.columns).toEqual([
      ['plan_drafted'],
      ['implementing'],
      ['report_submitted'],
      ['aggregated'],
      ['reported_to_ubnd'],
    ]);
    expect(layout.sinks).toEqual(['withdrawn']);
    const kinds = Object.fromEntries(layout.edges.map((e) => [`${e.from}>${e.to}`, e.kind]));
    expect(kinds['report_submitted>implementing']).toBe('back');
    expect(kinds['implementing>report_submitted']).toBe('forward');
    expect(kinds['aggregated>withdrawn']).toBe('sink');
    const self = layout.edges.find((e) => e.from === 'implementing' && e.kind === 'self');
    expect(self?.events).toEqual([
      'EXTEND_DEADLINE',
      'TRANSFER',
      'REMIND',
      'DEADLINE_PASSED',
      'ESCALATE',
    ]);
  });

  it('places the extra stage of annual-report@2 between submission and aggregation', () => {
    expect(m.mainStages(describeMachine('annual-report@2') as Machine)).toEqual([
      'plan_drafted',
      'implementing',
      'report_submitted',
      'report_verified',
      'aggregated',
      'reported_to_ubnd',
    ]);
  });
});
