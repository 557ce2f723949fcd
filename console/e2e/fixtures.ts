import { test as base, expect, type Page } from '@playwright/test';
import { PASSWORD, USERS, type UserKey } from './world';

export const test = base.extend<{ pageProblems: string[] }>({
  // The hub global-setup.ts started (its port is chosen at run time).
  baseURL: async ({}, use) => {
    const url = process.env.MAMORI_CONSOLE_URL;
    if (!url) throw new Error('MAMORI_CONSOLE_URL is not set: the global setup did not run');
    await use(url);
  },
  // Every test fails on an uncaught exception in the page or on anything the hub's
  // Content-Security-Policy blocked (an inline style or script would be).
  pageProblems: [
    async ({ page }, use) => {
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' && /Content.Security.Policy|Refused to/i.test(m.text()))
          problems.push(`CSP: ${m.text()}`);
      });
      await use(problems);
      expect(problems, 'page errors and CSP violations').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/** Logs in through the login form and waits for the console to show the user. */
export async function loginAs(page: Page, who: UserKey): Promise<void> {
  const u = USERS[who];
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  await page.getByLabel('User name').fill(u.name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('banner')).toContainText(u.name);
}

export async function logout(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
}

/** The main navigation's link called `name`. */
export function navLink(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
}
