// Every page, checked with axe-core against WCAG 2.1 A and AA rules (contrast, names, labels,
// landmarks, ARIA use) in the state a user sees it.
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { test, expect, loginAs, logout, navLink } from './fixtures';
import { HOSPITAL_EVENT } from './world';

async function check(page: Page, what: string): Promise<void> {
  await expect(page.locator('.loading')).toHaveCount(0);
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  const found = result.violations.map(
    (v) =>
      `${what}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  expect(found).toEqual([]);
}

test('the pages have no WCAG 2.1 A/AA violations axe-core can find', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  await check(page, 'login');

  await loginAs(page, 'centreAnalyst');
  await expect(page.getByRole('region', { name: 'Events over time, by category' })).toBeVisible();
  await check(page, 'dashboard');
  await navLink(page, 'Events').click();
  // The dashboard has an "Open events by organisation" chart too: wait for the events page.
  await expect(
    page.getByRole('heading', { level: 1, name: 'Events requiring confirmation' }),
  ).toBeVisible();
  await page.getByRole('combobox', { name: 'Organisation' }).selectOption({
    label: 'Sakura Hospital',
  });
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page.getByRole('link', { name: HOSPITAL_EVENT })).toBeVisible();
  await check(page, 'events');
  await page.getByRole('link', { name: HOSPITAL_EVENT }).click();
  await expect(page.getByRole('region', { name: 'Triage' })).toBeVisible();
  await check(page, 'event');
  await navLink(page, 'Organisations').click();
  await expect(page.getByRole('heading', { level: 1, name: 'Organisations' })).toBeVisible();
  await page.getByRole('link', { name: 'Sakura Hospital' }).click();
  await expect(page.getByRole('region', { name: 'Record' })).toBeVisible();
  await check(page, 'organisation');
  await logout(page);

  await loginAs(page, 'hospitalAnalyst');
  await navLink(page, 'File a report').click();
  await page.getByRole('radio', { name: 'Service outage' }).check();
  await page.getByRole('radio', { name: 'Final' }).check();
  await check(page, 'report form, step 1');
  await page.getByRole('button', { name: 'Next: Reporter and times' }).click();
  await page.getByRole('button', { name: 'Next: What happened' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await check(page, 'report form, step 2 with errors');
  for (const step of [
    'Systems and indicators',
    'Contacts, police, label',
    'Service outage details',
  ]) {
    await page.getByRole('button', { name: step, exact: true }).click();
    for (const add of await page.getByRole('button', { name: /^Add / }).all()) await add.click();
    await check(page, `report form, ${step}`);
  }
  await page.getByRole('button', { name: 'Review and submit', exact: true }).click();
  await check(page, 'report form, review');
  await navLink(page, 'Notifications').click();
  await expect(page.getByRole('heading', { level: 1, name: 'Notifications' })).toBeVisible();
  await check(page, 'notifications');
  await logout(page);

  await loginAs(page, 'commissioner');
  await navLink(page, 'Oversight').click();
  await expect(page.getByRole('region', { name: 'Selection orders' })).toBeVisible();
  await check(page, 'oversight');
});
