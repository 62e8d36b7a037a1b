import type { Page } from 'playwright-core';
import { ADMIN } from './appliance.js';

/** Open an admin console page and log in through its form (the test appliance's admin by default). */
export async function adminLogin(
  page: Page,
  url: string,
  who: { username: string; password: string } = ADMIN,
): Promise<void> {
  await page.goto(url);
  await page.fill('input[name=username]', who.username);
  await page.fill('input[name=password]', who.password);
  await page.click('[data-testid=admin-login]');
}
