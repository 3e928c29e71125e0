/** An error the admin API answers as `{"errors":[{"detail":"..."}]}` with its status. */
export class AdminError extends Error {
  readonly status: number;
  constructor(status: number, detail: string) {
    super(detail);
    this.name = 'AdminError';
    this.status = status;
  }
}

export function errorDocument(detail: string): { errors: { detail: string }[] } {
  return { errors: [{ detail }] };
}
