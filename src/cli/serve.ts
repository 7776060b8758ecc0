/** `veto serve`: placeholder until the serving path lands (issue 3). */
export function runServe(_argv: string[]): Promise<number> {
  process.stderr.write('veto serve: the HTTP serving path is not implemented yet\n');
  return Promise.resolve(1);
}
