// Organisation admin (users and API tokens) and the commission's oversight pages.
import { test, expect, loginAs, logout, navLink } from './fixtures';
import { ORDER, SENSOR } from './world';

test('a centre admin adds a user to an operator and creates an API token for it', async ({
  page,
}) => {
  await loginAs(page, 'centreAdmin');
  await navLink(page, 'Organisations').click();
  await expect(page.getByRole('heading', { level: 1, name: 'Organisations' })).toBeVisible();
  await page.getByRole('link', { name: 'Sakura Hospital' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sakura Hospital');
  await expect(page.getByRole('region', { name: 'Owned addresses and domains' })).toContainText(
    '198.51.100.0/24',
  );
  const users = page.getByRole('region', { name: 'Users' });
  await expect(users.getByRole('row', { name: /hospital-analyst/ })).toBeVisible();

  await users.getByRole('button', { name: 'Add user' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add a user to Sakura Hospital' });
  await dialog.getByLabel('User name').fill('hospital-viewer');
  await dialog.getByLabel('Role').selectOption('viewer');
  await dialog.getByLabel('Password').fill('short');
  await dialog.getByRole('button', { name: 'Add user' }).click();
  await expect(dialog.getByLabel('Password')).toHaveAccessibleDescription(/at least 12 characters/);
  await dialog.getByLabel('Password').fill('a long enough passphrase');
  await dialog.getByRole('button', { name: 'Add user' }).click();
  await expect(dialog).toBeHidden();
  await expect(
    page.getByRole('status').filter({ hasText: 'User hospital-viewer added.' }),
  ).toBeVisible();
  const row = users.getByRole('row', { name: /hospital-viewer/ });
  await expect(row).toContainText('Viewer');
  await expect(row).toContainText('Password and API tokens');

  await row.getByRole('button', { name: /Create API token/ }).click();
  const tokenDialog = page.getByRole('dialog', { name: 'API token for hospital-viewer' });
  await tokenDialog.getByRole('button', { name: 'Create token' }).click();
  await expect(tokenDialog.getByLabel('Token')).toHaveValue(/^mamori_[0-9a-f]{64}$/);
  await tokenDialog.getByRole('button', { name: 'Done' }).click();
  await expect(tokenDialog).toBeHidden();

  // The new user logs in with the password the admin gave.
  await logout(page);
  await page.getByLabel('User name').fill('hospital-viewer');
  await page.getByLabel('Password').fill('a long enough passphrase');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('banner')).toContainText('hospital-viewer');
  // Viewers do not file reports.
  await expect(navLink(page, 'File a report')).toHaveCount(0);
});

test("the commission inspects the sensors' reports; an operator is told they are the commission's", async ({
  page,
}) => {
  await loginAs(page, 'commissioner');
  await expect(navLink(page, 'File a report')).toHaveCount(0);
  await navLink(page, 'Oversight').click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Oversight');

  const orders = page.getByRole('region', { name: 'Selection orders' });
  const order = orders.getByRole('row', { name: new RegExp(ORDER.id) });
  await expect(order).toContainText(SENSOR);
  await expect(order).toContainText(ORDER.purpose);
  await expect(order).toContainText('signature valid');
  await expect(order).toContainText('2 reports');
  await order.getByRole('button', { name: /Show the signed envelope/ }).click();
  await expect(orders.getByLabel(`Signed envelope of ${ORDER.id}`)).toContainText('payloadType');

  // Two heads from the same sensor; the newer one extends the older.
  const heads = page.getByRole('region', { name: 'Sensor ledger heads' });
  await expect(heads.getByRole('row', { name: new RegExp(SENSOR) })).toHaveCount(2);
  const newest = heads.getByRole('row', { name: new RegExp(SENSOR) }).first();
  await newest.getByRole('button', { name: /Verify/ }).click();
  await expect(newest).toContainText('Verified: signature valid; consistent with the head before');
  const oldest = heads.getByRole('row', { name: new RegExp(SENSOR) }).last();
  await oldest.getByRole('button', { name: /Verify/ }).click();
  await expect(oldest).toContainText('consistent with earlier heads (none)');

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download the audit ledger' }).click();
  expect((await download).suggestedFilename()).toBe('hub-audit.tar');
  await expect(page.getByRole('region', { name: "The hub's audit ledger" })).toContainText(
    /Downloaded hub-audit.tar \([\d,]+ bytes, \d+ entries/,
  );
  await logout(page);

  await loginAs(page, 'hospitalAnalyst');
  await expect(navLink(page, 'Oversight')).toHaveCount(0);
  await page.goto('/#/oversight');
  await expect(page.getByRole('region', { name: 'Selection orders' })).toContainText(
    'Only the oversight commission can see selection orders.',
  );
  await expect(page.getByRole('region', { name: 'Sensor ledger heads' })).toContainText(
    'Only the oversight commission can see ledger heads.',
  );
});
