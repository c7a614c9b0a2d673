/** A pino destination that keeps every JSON line, so a test can read what the server logged. */
export class LogCapture {
  readonly lines: string[] = [];

  write(chunk: string): void {
    for (const line of chunk.split('\n')) if (line.trim()) this.lines.push(line);
  }

  entries(): Array<Record<string, unknown>> {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  matching(pattern: RegExp): Array<Record<string, unknown>> {
    return this.entries().filter((entry) => pattern.test(String(entry.msg ?? '')));
  }
}
