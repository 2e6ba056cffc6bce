/** A clock the test moves by hand, in epoch milliseconds. */
export class FakeClock {
  constructor(public time = Date.UTC(2026, 0, 31, 9, 15, 2, 123)) {}

  readonly now = (): number => this.time;

  advance(ms: number): void {
    this.time += ms;
  }

  advanceSeconds(seconds: number): void {
    this.time += seconds * 1000;
  }
}
