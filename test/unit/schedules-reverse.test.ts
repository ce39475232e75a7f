/** The one reading of a run's history that the client's restart and the worker's look-up of earlier runs share. */
import { schedulesReverse } from '../../workflows/contract';

const scheduled = (name: string) => ({ activityTaskScheduledEventAttributes: { activityType: { name } } });

describe('schedulesReverse', () => {
  it('answers yes for a history that scheduled the reverse activity, whatever else it holds', () => {
    expect(schedulesReverse([{}, scheduled('queryCombineOrder'), scheduled('reverseCombineOrder'), {}])).toBe(true);
  });

  it('answers no for a history without it: other activities, empty attributes, no events', () => {
    expect(schedulesReverse([scheduled('queryCombineOrder'), scheduled('compensateSubOrder')])).toBe(false);
    expect(
      schedulesReverse([
        { activityTaskScheduledEventAttributes: null },
        { activityTaskScheduledEventAttributes: { activityType: null } },
      ]),
    ).toBe(false);
    expect(schedulesReverse([])).toBe(false);
  });
});
