/**
 * Hand-off ids of recent deliveries to one connection, oldest first: a retried hand-off (the actor's
 * process died between delivering and replying) is delivered again by the new owner, and the
 * second copy is dropped here.
 */
export class RecentDeliveries {
  private readonly ids = new Set<string>();

  /** A retry follows its original within seconds; a few hundred ids cover that window. */
  constructor(private readonly capacity = 512) {}

  /** False when this id was delivered already. */
  first(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }
}
