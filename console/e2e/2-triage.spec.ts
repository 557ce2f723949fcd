// Issue 4: a centre analyst triages an event to notified; the target organisation sees the
// notification.
import { test, expect, loginAs, logout, navLink } from './fixtures';
import { BULK_EVENTS, HOSPITAL_EVENT } from './world';

test('a centre analyst moves an event to notified and the hospital sees the notification', async ({
  page,
}) => {
  await loginAs(page, 'centreAnalyst');

  // The dashboard's charts, each with its numbers as a table.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Dashboard');
  const overTime = page.getByRole('region', { name: 'Events over time, by category' });
  await expect(overTime.getByRole('img')).toHaveAttribute(
    'aria-label',
    /Events per day by category: \d+ events/,
  );
  await expect(overTime.getByRole('list', { name: 'Legend' })).toContainText('sqli');
  const open = page.getByRole('region', { name: 'Open events by organisation' });
  await expect(open.getByRole('img')).toHaveAttribute('aria-label', /Sakura Hospital 2/);
  await open.getByText('Show the numbers as a table').click();
  await expect(open.getByRole('row', { name: /Sakura Hospital/ })).toContainText('2');

  // The event list, 50 at a time: "Load more" fetches the next page and moves the focus to it.
  await navLink(page, 'Events').click();
  const rows = page.getByRole('table').getByRole('row');
  await expect(rows).toHaveCount(51);
  await page.getByRole('button', { name: 'Load more' }).click();
  await expect(rows).toHaveCount(1 + BULK_EVENTS + 4);
  await expect(rows.nth(51).getByRole('link')).toBeFocused();
  await expect(page.getByRole('button', { name: 'Load more' })).toHaveCount(0);

  // Filtered to the hospital's new events.

  await page.getByLabel('Organisation').selectOption({ label: 'Sakura Hospital' });
  await page.getByLabel('State').selectOption('new');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/state=new/);
  await expect(page.getByRole('link', { name: 'ev-bank-traversal-1' })).toHaveCount(0);
  await page.getByRole('link', { name: HOSPITAL_EVENT }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Event ${HOSPITAL_EVENT}`);
  await expect(page.getByRole('region', { name: 'Facts' })).toContainText('Sakura Hospital');
  await expect(page.getByRole('region', { name: 'Facts' })).toContainText('198.51.100.20:443');

  // Escape closes the dialog and gives the focus back to the button that opened it.
  const startReview = page.getByRole('button', { name: /Start review/ });
  await startReview.click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(startReview).toBeFocused();

  // A reason is required.
  await startReview.click();
  await dialog.getByRole('button', { name: 'Move to in-review' }).click();
  await expect(dialog.getByLabel('Reason')).toHaveAccessibleDescription(/Give a reason/);
  await expect(dialog.getByLabel('Reason')).toBeFocused();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.locator('.page-head .pill')).toHaveText('new');

  const steps: [RegExp, string, string][] = [
    [/Start review/, 'in-review', 'Checking the web server logs of the reservation system.'],
    [
      /Confirm/,
      'confirmed',
      'The injected requests got database errors back: the attack reached the database.',
    ],
    [
      /Notify organisation/,
      'notified',
      'SQL injection against your reservation server (198.51.100.20) succeeded; patch the search form and check the database logs.',
    ],
  ];
  for (const [button, to, reason] of steps) {
    await page.getByRole('button', { name: button }).click();
    await dialog.getByLabel('Reason').fill(reason);
    await dialog.getByRole('button', { name: `Move to ${to}` }).click();
    await expect(dialog).toBeHidden();
    await expect(page.locator('.page-head .pill')).toHaveText(to);
    await expect(page.getByRole('region', { name: 'Triage' })).toContainText(reason);
  }
  await expect(page.getByRole('region', { name: 'Triage' }).getByRole('listitem')).toHaveCount(3);
  await expect(page.getByRole('button', { name: /Close/ }).first()).toBeVisible();
  await logout(page);

  // The hospital sees the notification with the analyst's message, and the event.
  await loginAs(page, 'hospitalAnalyst');
  await navLink(page, 'Notifications').click();
  const note = page.getByRole('listitem').filter({ hasText: HOSPITAL_EVENT });
  await expect(note).toContainText(
    'SQL injection against your reservation server (198.51.100.20) succeeded',
  );
  await note.getByRole('link').click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Event ${HOSPITAL_EVENT}`);
  await expect(page.locator('.page-head .pill')).toHaveText('notified');
  await expect(page.getByText('Centre analysts triage events.')).toBeVisible();
  await expect(page.getByRole('button', { name: /Close/ })).toHaveCount(0);
});
