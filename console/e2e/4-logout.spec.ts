// Logging out ends the session on the hub, not only in the browser; a session that ends while
// the console is open brings the login page back.
import { test, expect, loginAs, logout, navLink } from './fixtures';
import { PASSWORD, USERS } from './world';

test('logout returns to the login page and the old session cookie is refused', async ({
  page,
  context,
}) => {
  await loginAs(page, 'ministryAnalyst');
  expect((await page.request.get('/api/v1/me')).status()).toBe(200);
  const cookies = await context.cookies();
  expect(cookies.map((c) => c.name)).toContain('mamori_session');
  const session = cookies.find((c) => c.name === 'mamori_session')!;
  expect(session.httpOnly).toBe(true);
  expect(session.sameSite).toBe('Strict');

  await logout(page);
  await expect(page.getByRole('status')).toContainText('You have logged out.');
  const me = await page.request.get('/api/v1/me');
  expect(me.status()).toBe(401);

  // The cookie from before the logout no longer opens anything.
  await context.addCookies(cookies);
  expect((await page.request.get('/api/v1/me')).status()).toBe(401);
  expect((await page.request.get('/api/v1/reports')).status()).toBe(401);
  await page.goto('/#/reports');
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
});

test('a session that ends while the console is open asks for the login again over the page', async ({
  page,
  context,
}) => {
  await loginAs(page, 'ministryAnalyst');
  await context.clearCookies();
  await navLink(page, 'Incident reports').click();
  const relogin = page.getByRole('dialog', { name: 'Log in' });
  await expect(relogin).toBeVisible();
  await expect(relogin.getByRole('status')).toContainText('Log in to continue where you were');
  await expect(relogin.getByLabel('User name')).toBeFocused();
  await relogin.getByLabel('User name').fill(USERS.ministryAnalyst.name);
  await relogin.getByLabel('Password').fill(PASSWORD);
  await relogin.getByRole('button', { name: 'Log in' }).click();
  await expect(relogin).toBeHidden();
  // The page fetches its data again.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Incident reports');
  await expect(page.getByRole('heading', { level: 1 })).toBeFocused();
  await expect(page.getByRole('row', { name: /Sakura Hospital/ }).first()).toBeVisible();
  await expect(page.getByText('could not be loaded')).toHaveCount(0);
});

test('a half-written report survives an expired session', async ({ page, context }) => {
  await loginAs(page, 'hospitalAnalyst');
  await navLink(page, 'File a report').click();
  await page.getByRole('radio', { name: 'DDoS' }).check();
  await page.getByRole('button', { name: 'Next: Reporter and times' }).click();
  await page.getByLabel('Name').fill('Suzuki Ichiro');
  await context.clearCookies();
  await page.getByRole('button', { name: 'Save draft' }).click();
  const relogin = page.getByRole('dialog', { name: 'Log in' });
  await expect(relogin).toBeVisible();
  await relogin.getByLabel('User name').fill(USERS.hospitalAnalyst.name);
  await relogin.getByLabel('Password').fill(PASSWORD);
  await relogin.getByRole('button', { name: 'Log in' }).click();
  await expect(relogin).toBeHidden();
  await expect(page.getByLabel('Name')).toHaveValue('Suzuki Ichiro');
  await expect(page.getByRole('alert')).toContainText('Your session has ended');
  await page.getByRole('button', { name: 'Save draft' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Draft saved' })).toBeVisible();
  await expect(page).toHaveURL(/#\/reports\/[^/]+\/edit$/);
});

test('a write without the CSRF token is refused even with the session cookie', async ({ page }) => {
  await loginAs(page, 'hospitalAnalyst');
  const res = await page.request.post('/api/v1/reports', {
    data: { type: 'ransomware', draft: {} },
  });
  expect(res.status()).toBe(403);
  expect((await res.json()).error.code).toMatch(/^csrf-token-/);
});
