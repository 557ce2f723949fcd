// A list read page by page with the API's cursors ("Load more"), for the event and report lists.

import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Page } from '../api';

export interface PagedList<T> {
  items: T[];
  hasMore: boolean;
  loading: boolean;
  error: unknown;
  /** For a live region: how many items the last page brought. */
  announce: string;
  loadMore: () => void;
}

const PAGE_SIZE = 50;

/**
 * The first page of `path` with `filters`, again whenever the filters change. Only the answer to
 * the latest request is shown: a slow answer for the filters before must not replace it. After
 * "Load more" the focus goes to the link in the first new row (`#${rowIdPrefix}N a`).
 */
export function usePagedList<T>(
  path: string,
  filters: Record<string, string>,
  noun: string,
  rowIdPrefix: string,
): PagedList<T> {
  const key = JSON.stringify(filters);
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [announce, setAnnounce] = useState('');
  const latest = useRef(0);
  const focusRow = useRef<number | null>(null);

  async function load(after: string | null, previous: T[]) {
    const mine = ++latest.current;
    setLoading(true);
    setError(null);
    try {
      const page = await api.get<Page<T>>(path, { ...filters, limit: PAGE_SIZE, cursor: after });
      if (mine !== latest.current) return;
      focusRow.current = after ? previous.length : null;
      setItems(after ? [...previous, ...page.items] : page.items);
      setCursor(page.next_cursor);
      const more = page.next_cursor ? ' or more' : '';
      setAnnounce(
        after
          ? `${page.items.length} more ${noun}s loaded.`
          : `${page.items.length}${more} ${noun}${page.items.length === 1 && !more ? '' : 's'}.`,
      );
    } catch (e) {
      if (mine === latest.current) setError(e);
    } finally {
      if (mine === latest.current) setLoading(false);
    }
  }

  useEffect(() => {
    setItems([]);
    setCursor(null);
    void load(null, []);
  }, [key]);

  useEffect(() => {
    if (focusRow.current === null) return;
    document.querySelector<HTMLAnchorElement>(`#${rowIdPrefix}${focusRow.current} a`)?.focus();
    focusRow.current = null;
  }, [items]);

  return {
    items,
    hasMore: cursor !== null,
    loading,
    error,
    announce,
    loadMore: () => {
      if (cursor) void load(cursor, items);
    },
  };
}
