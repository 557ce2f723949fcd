// The console is usable with the keyboard alone: log in, skip to the content, reach the report
// form and operate its first step, reach the event list.
import type { Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { PASSWORD, USERS } from './world';

/** Presses Tab until the focused element is the one `name` describes (at most `max` times). */
async function tabTo(page: Page, role: string, name: string | RegExp, max = 40): Promise<void> {
  const want = page.getByRole(role as 'link', { name });
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await want.evaluate((el) => el === document.activeElement).catch(() => false)) return;
  }
  throw new Error(`Tab never reached the ${role} '${name}'`);
}

test('log in, reach the report form and the event list with the keyboard only', async ({
  page,
}) => {
  await page.goto('/');
  await expect(page.getByLabel('User name')).toBeFocused();
  await page.keyboard.type(USERS.hospitalKeyboard.name);
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Password')).toBeFocused();
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('banner')).toContainText(USERS.hospitalKeyboard.name);

  // The first Tab reaches the skip link, which moves the focus to the main content.
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to main content' });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('main')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Period')).toBeFocused();

  // The report form, through the navigation.
  await page.keyboard.press('Shift+Tab');
  await tabTo(page, 'link', 'File a report');
  await page.keyboard.press('Enter');
  const title = page.getByRole('heading', { level: 1 });
  await expect(title).toHaveText('File an incident report');
  await expect(title).toBeFocused();
  await tabTo(page, 'radio', 'Ransomware');
  await page.keyboard.press('Space');
  await expect(page.getByRole('radio', { name: 'Ransomware' })).toBeChecked();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('radio', { name: 'DDoS' })).toBeChecked();
  await expect(page.getByRole('radio', { name: 'DDoS' })).toBeFocused();
  await tabTo(page, 'button', 'Next: Reporter and times');
  await page.keyboard.press('Enter');
  await expect(
    page.getByRole('heading', { name: 'Step 2 of 7: Reporter and times' }),
  ).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Sector')).toBeFocused();

  // The event list, back through the navigation (Shift+Tab goes backwards).
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Shift+Tab');
    const onEvents = await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Events', exact: true })
      .evaluate((el) => el === document.activeElement);
    if (onEvents) break;
  }
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Events requiring confirmation');
  await expect(page.getByRole('heading', { level: 1 })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('State')).toBeFocused();
  await tabTo(page, 'button', 'Apply filters');
  await expect(page.getByRole('button', { name: 'Apply filters' })).toBeFocused();
});
