/**
 * A reader that goes away (`leakguard rules list | head`) ends the output, never the process with
 * a stack trace: stdout's EPIPE is an 'error' event, which nothing else would handle.
 */
export function ignoreBrokenPipe(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
  });
}
