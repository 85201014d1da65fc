// How many image bytes one API process holds at once between decoding an accept's images and Postgres having them:
// the decoded bytes, the sealed input and the driver's message, each about that size. An accept past the budget
// waits its turn (its multipart parts still on disk), so a burst of large uploads bounds the process's memory
// instead of multiplying it (issue 13: 20 concurrent 10 MB uploads). One accept larger than the whole budget runs
// alone rather than never.
import { Semaphore } from "async-mutex";

// async-mutex's weighted semaphore walks every unit of its value on each release: bytes as units would cost millions
// of steps per request; 64 KiB units make a 32 MiB budget 512
const UNIT = 64 * 1024;

export class ImageMemoryBudget {
  private readonly semaphore: Semaphore;
  readonly units: number;

  constructor(bytes: number) {
    this.units = Math.max(1, Math.floor(bytes / UNIT));
    this.semaphore = new Semaphore(this.units);
  }

  private unitsOf(bytes: number): number {
    return Math.min(this.units, Math.max(1, Math.ceil(bytes / UNIT)));
  }

  /** Runs `work` once `bytes` of the budget are free, and gives them back when it ends, however it ends. */
  hold<T>(bytes: number, work: () => Promise<T>): Promise<T> {
    return this.semaphore.runExclusive(work, this.unitsOf(bytes));
  }

  /** The bytes held now (in whole units). */
  heldBytes(): number {
    return (this.units - this.semaphore.getValue()) * UNIT;
  }
}
