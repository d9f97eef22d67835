import { WorkerClient, type ClusterSecurity } from "@cares/shared";

/**
 * One gRPC channel per worker address, created on first use and kept, so that calls
 * to a worker reuse its connection.
 */
export class WorkerClients {
  readonly #clients = new Map<string, WorkerClient>();

  /** `security` is how every channel connects: the join token it presents, TLS. */
  constructor(private readonly security: ClusterSecurity = {}) {}

  get(address: string): WorkerClient {
    let client = this.#clients.get(address);
    if (!client) {
      client = new WorkerClient(address, this.security);
      this.#clients.set(address, client);
    }
    return client;
  }

  /** Closes the channel to `address`, e.g. when its worker is replaced. */
  drop(address: string): void {
    this.#clients.get(address)?.close();
    this.#clients.delete(address);
  }

  closeAll(): void {
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }
}
