/** A page of the console: it draws into `root` and stops its timers when the user leaves it. */
export interface View {
  stop(): void;
}

export type ViewFactory = (root: HTMLElement) => View;

/** Runs `refresh` now and every `intervalMs` (live views poll; a failed round shows, the next retries). */
export function poll(refresh: () => Promise<void>, intervalMs: number, onError: (e: Error) => void): View {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const round = async () => {
    try {
      await refresh();
    } catch (error) {
      onError(error as Error);
    }
    if (!stopped) timer = setTimeout(round, intervalMs);
  };
  void round();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
