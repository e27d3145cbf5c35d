// What the browser clone page (src/browser/clone.html) shows once a clone
// ended, read from its DOM: test/e2e/browser-clone.test.ts asserts it,
// bench/browser-page.ts measures from it.
import type { Page } from 'playwright-core'

/** The selector that matches once the page's clone has ended, either way. */
export const CLONE_ENDED = '#status[data-state=done], #status[data-state=failed]'

export interface ClonePageShows {
  /** #status's data-state (done, failed), its data-code (the error's code) and its text (the one line). */
  state: string
  code: string | null
  text: string
  /** The refs table's rows: [name, oid]. */
  refs: string[][]
  /** The summary's rows, by their label ("Bundle", "From WebRTC peers", "From web seeds", "Signed", "Time", "JS heap", ...). */
  summary: Record<string, string>
  /** The log's lines, and the file tree's file names (folders left out). */
  log: string[]
  files: string[]
}

export async function clonePageShows (page: Page): Promise<ClonePageShows> {
  return await page.evaluate(() => {
    const document = (globalThis as any).document   // in the page (test/ and bench/ compile without the DOM's types)
    const s = document.getElementById('status')
    const texts = (sel: string): string[] => [...document.querySelectorAll(sel)].map((e: any) => e.textContent ?? '')
    const dts = texts('#summary dt')
    const dds = texts('#summary dd')
    return {
      state: s.dataset.state ?? '',
      code: s.dataset.code ?? null,
      text: s.textContent ?? '',
      refs: [...document.querySelectorAll('#refs tbody tr')].map((tr: any) => [...tr.children].map((td: any) => td.textContent ?? '')),
      summary: Object.fromEntries(dts.map((k, i) => [k, dds[i] ?? ''])),
      log: texts('#log li'),
      files: [...document.querySelectorAll('#tree li')].filter((li: any) => li.querySelector('details') === null).map((li: any) => li.textContent ?? '')
    }
  })
}
