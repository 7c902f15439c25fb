/** One message the mail catcher received, as `GET /messages` shows it. */
export interface CaughtMessage {
  /** Sequence number, unique while the catcher runs. */
  id: number;
  /** The `From` header, as text (`Name <address>`). */
  from: string;
  /** Addresses of the `To` header; the SMTP envelope's recipients when the header has none. */
  to: string[];
  subject: string;
  /** The `Message-ID` header (`<…@…>`), or `null` when the message has none. */
  messageId: string | null;
  /** The `Date` header, or the time of receipt when it has none (ISO 8601). */
  date: string;
  text: string;
  /** The HTML body, or `null` for a text-only message. */
  html: string | null;
  /** The SMTP envelope, which may differ from the headers (Bcc, bounces). */
  envelope: { from: string | null; to: string[] };
  receivedAt: string;
}

/**
 * The messages of the mail catcher, newest first, at most `capacity` of them: a developer's
 * catcher that runs for days must not grow without bound.
 */
export class MessageStore {
  readonly #messages: CaughtMessage[] = [];
  #nextId = 1;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
  }

  add(message: Omit<CaughtMessage, 'id'>): CaughtMessage {
    const stored = { id: this.#nextId++, ...message };
    this.#messages.unshift(stored);
    this.#messages.length = Math.min(this.#messages.length, this.capacity);
    return stored;
  }

  /** Newest first. */
  list(): readonly CaughtMessage[] {
    return this.#messages;
  }

  get(id: number): CaughtMessage | undefined {
    return this.#messages.find((message) => message.id === id);
  }

  clear(): void {
    this.#messages.length = 0;
  }
}
