// Issue 4: an operator files a ransomware report; the ministry and the centre see it; another
// operator does not.
import { test, expect, loginAs, logout, navLink } from './fixtures';

/** An <input type="datetime-local"> value `hoursAgo` hours before now, in Tokyo time. */
function tokyoLocal(hoursAgo: number): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Tokyo',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(Date.now() - hoursAgo * 3_600_000));
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}`;
}

const NOTE_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

test('an operator files a ransomware report that its ministry and the centre see and another operator does not', async ({
  page,
}) => {
  await loginAs(page, 'hospitalAnalyst');
  await navLink(page, 'File a report').click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('File an incident report');

  // Step 1: type and stage.
  await page.getByRole('radio', { name: 'Ransomware' }).check();
  await expect(page.getByRole('radio', { name: /Initial/ })).toBeChecked();
  await page.getByRole('button', { name: 'Next: Reporter and times' }).click();

  // Step 2: a malformed email is caught beside its field before going on.
  await expect(
    page.getByRole('heading', { name: 'Step 2 of 7: Reporter and times' }),
  ).toBeVisible();
  await page.getByLabel('Sector').selectOption('medical');
  await page.getByLabel('Name').fill('Sato Hanako');
  const email = page.getByLabel('Email');
  await email.fill('sato@');
  await page.getByLabel('Discovered at').fill(tokyoLocal(2));
  await page.getByRole('button', { name: 'Next: What happened' }).click();
  await expect(email).toHaveAttribute('aria-invalid', 'true');
  await expect(email).toHaveAccessibleDescription(/Enter an email address/);
  const summary = page.getByRole('alert').filter({ hasText: 'Before you go on' });
  await expect(summary).toContainText('Person to call back › Email — Enter an email address');
  await expect(
    page.getByRole('heading', { name: 'Step 2 of 7: Reporter and times' }),
  ).toBeVisible();
  await email.fill('soc@sakura-hp.example.jp');
  await expect(email).not.toHaveAttribute('aria-invalid', 'true');
  await page.getByRole('button', { name: 'Next: What happened' }).click();

  // Step 3: what happened.
  await page
    .getByLabel('What happened')
    .fill('Electronic medical record servers were encrypted overnight; reception runs on paper.');
  await page.getByLabel('Impact level').selectOption('severe');
  await page.getByRole('button', { name: 'Next: Systems and indicators' }).click();

  // Step 4: an indicator whose value the hub will refuse (the form leaves indicator syntax to it).
  await page.getByRole('button', { name: 'Add indicator' }).click();
  await expect(page.getByLabel('Type')).toBeFocused();
  await page.getByLabel('Type').selectOption('sha256');
  await page.getByLabel('Value').fill('not-a-hash');
  await page.getByRole('button', { name: 'Next: Contacts, police, label' }).click();
  await page.getByRole('button', { name: 'Next: Ransomware details' }).click();

  // Step 6: the ransomware part.
  await page.getByLabel('Group').fill('ExampleLocker');
  await page.getByLabel('SHA-256 of the note file').fill(NOTE_SHA256);
  await page.getByRole('button', { name: 'Next: Review and submit' }).click();
  await expect(page.getByRole('heading', { name: 'Step 7 of 7: Review and submit' })).toBeVisible();

  // Saving the draft: the hub's validation error comes back onto the indicator's field.
  await page.getByRole('button', { name: 'Save draft' }).click();
  await expect(
    page.getByRole('alert').filter({ hasText: 'the hub found a problem' }),
  ).toContainText('64 hexadecimal digits');
  await expect(
    page.getByRole('heading', { name: 'Step 4 of 7: Systems and indicators' }),
  ).toBeVisible();
  const value = page.getByLabel('Value');
  await expect(value).toHaveAttribute('aria-invalid', 'true');
  await expect(value).toHaveAccessibleDescription(/64 hexadecimal digits/);
  await expect(
    page.getByRole('button', { name: /Systems and indicators \(1 problem\)/ }),
  ).toBeVisible();
  await value.fill(NOTE_SHA256);
  await page.getByRole('button', { name: 'Save draft' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Draft saved' })).toBeVisible();
  await expect(page).toHaveURL(/#\/reports\/[^/]+\/edit$/);
  const reportId = decodeURIComponent(page.url().match(/#\/reports\/([^/]+)\/edit$/)![1]);

  // The draft is on the hub: a fresh load of the page gets it back.
  await page.reload();
  await page.getByRole('button', { name: 'Ransomware details', exact: true }).click();
  await expect(page.getByLabel('Group')).toHaveValue('ExampleLocker');
  await page.getByRole('button', { name: 'Review and submit', exact: true }).click();
  await expect(page.getByText('not-a-hash')).toHaveCount(0);
  await page.getByRole('button', { name: 'Submit initial report' }).click();

  // The report's page: submitted, with its deadlines and timeline.
  await expect(page).toHaveURL(new RegExp(`#/reports/${reportId}$`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Ransomware report ${reportId}`);
  await expect(page.getByRole('status').filter({ hasText: 'report submitted' })).toContainText(
    'Initial',
  );
  await expect(page.getByTestId('report-stage')).toHaveText('Initial (速報)');
  await expect(page.getByRole('region', { name: 'Timeline' })).toContainText('submitted');
  await expect(page.getByRole('region', { name: 'Timeline' })).toContainText('hospital-analyst');
  await expect(
    page.getByRole('region', { name: 'Stage deadlines' }).getByText('on time'),
  ).toHaveCount(1);

  // The next stage: the form continues from the submitted document and asks for what the
  // interim stage adds.
  await page.getByRole('link', { name: 'Continue: next stage' }).click();
  await expect(page.getByRole('radio', { name: 'Interim' })).toBeChecked();
  await page.getByRole('button', { name: 'Review and submit', exact: true }).click();
  await page.getByRole('button', { name: 'Submit interim report' }).click();
  const missing = page
    .getByRole('alert')
    .filter({ hasText: 'The interim report is not complete yet' });
  await expect(missing).toContainText('Occurred at — Enter when the incident began');
  await expect(missing).toContainText('Systems affected — Add at least one system');
  await expect(missing).toContainText('How the attacker got in — Required for the interim stage');
  await missing.getByRole('link', { name: /Occurred at/ }).click();
  await expect(page.getByLabel('Occurred at')).toBeFocused();
  await page.getByLabel('Occurred at').fill(tokyoLocal(6));
  await page.getByRole('button', { name: 'Next: What happened' }).click();
  await page.getByLabel('How the attacker got in').selectOption('vpn-vulnerability');
  await page.getByRole('button', { name: 'Next: Systems and indicators' }).click();
  await page.getByRole('button', { name: 'Add system' }).click();
  await page.getByLabel('Name').fill('electronic medical records');
  await page.getByLabel('Kind').selectOption('server');
  await page.getByLabel('How many').fill('4');
  await page.getByRole('button', { name: 'Review and submit', exact: true }).click();
  await page.getByRole('button', { name: 'Submit interim report' }).click();
  await expect(page.getByTestId('report-stage')).toHaveText('Interim');
  await expect(page.getByRole('region', { name: 'Timeline' }).getByRole('listitem')).toHaveCount(3);
  await expect(page.getByText('electronic medical records')).toBeVisible();
  await logout(page);

  // The overseeing ministry and the centre see it in their lists and can open it.
  for (const who of ['ministryAnalyst', 'centreAnalyst'] as const) {
    await loginAs(page, who);
    await navLink(page, 'Incident reports').click();
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: reportId }) });
    await expect(row).toContainText('Sakura Hospital');
    await expect(row).toContainText('Ransomware');
    await row.getByRole('link', { name: reportId }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(
      `Ransomware report ${reportId}`,
    );
    await expect(page.getByText('ExampleLocker')).toBeVisible();
    await logout(page);
  }

  // Another operator: not in its list, and its URL is a not-found page.
  await loginAs(page, 'bankAnalyst');
  await navLink(page, 'Incident reports').click();
  await expect(page.getByText('No reports match these filters.')).toBeVisible();
  await expect(page.getByRole('link', { name: reportId })).toHaveCount(0);
  await page.goto(`/#/reports/${encodeURIComponent(reportId)}`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Not found');
  await expect(page.getByText('ExampleLocker')).toHaveCount(0);
});
