// A doubly linked list: O(1) push, removal of any link and access to the head. The outbox keeps
// pending entries in two of these (overall and per destination) so that append, the marks and
// "the first n for this destination" cost the same however long the backlog is.

export interface Link<T> {
  readonly value: T;
  prev: Link<T> | undefined;
  next: Link<T> | undefined;
}

export class Chain<T> {
  head: Link<T> | undefined;
  private tail: Link<T> | undefined;
  size = 0;

  push(value: T): Link<T> {
    const link: Link<T> = { value, prev: this.tail, next: undefined };
    if (this.tail) this.tail.next = link;
    else this.head = link;
    this.tail = link;
    this.size++;
    return link;
  }

  /** `link` must be in this chain. */
  remove(link: Link<T>): void {
    if (link.prev) link.prev.next = link.next;
    else this.head = link.next;
    if (link.next) link.next.prev = link.prev;
    else this.tail = link.prev;
    link.prev = link.next = undefined;
    this.size--;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let link = this.head; link; link = link.next) yield link.value;
  }
}
