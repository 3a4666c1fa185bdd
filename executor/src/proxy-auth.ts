import type { CDPSession, Page } from 'puppeteer-core';
import { errorMessage, isTargetGone, logLine } from './stderr.js';

/**
 * Answers the run's proxy credentials to proxy challenges only. Puppeteer's page.authenticate
 * answers every challenge, so any site that replies `401 WWW-Authenticate: Basic` would receive
 * the proxy's username and password; this handler cancels server challenges (the page shows the
 * site's 401) and answers a proxy at most once per request.
 *
 * It also tells whether the proxy refused the credentials on a main-frame navigation: a 407, or
 * (tinyproxy answers wrong credentials with 401) a 401 without a Via header to a request the
 * proxy had challenged.
 */
export interface ProxyAuth {
  rejected(): boolean;
}

export async function answerProxyAuth(page: Page, username: string, password: string): Promise<ProxyAuth> {
  const session: CDPSession = await page.createCDPSession();
  const challenged = new Set<string>(); // URLs the proxy challenged
  const answered = new Set<string>(); // Fetch request ids already given the credentials
  let rejected = false;
  const send = (method: 'Fetch.continueRequest' | 'Fetch.continueWithAuth', params: object) =>
    session.send(method as 'Fetch.continueRequest', params as never).catch((err: unknown) => {
      // A page or request that went away meanwhile is not worth a line.
      if (!isTargetGone(err)) logLine(`proxy auth: ${method} failed: ${errorMessage(err)}`);
    });
  session.on('Fetch.requestPaused', (e: { requestId: string }) => {
    void send('Fetch.continueRequest', { requestId: e.requestId });
  });
  session.on(
    'Fetch.authRequired',
    (e: { requestId: string; request: { url: string }; authChallenge: { source?: string } }) => {
      if (e.authChallenge.source !== 'Proxy') {
        // Cancelling shows the site's 401 page, as a browser without credentials would.
        void send('Fetch.continueWithAuth', { requestId: e.requestId, authChallengeResponse: { response: 'CancelAuth' } });
        return;
      }
      challenged.add(e.request.url);
      if (answered.has(e.requestId)) {
        rejected = true;
        void send('Fetch.continueWithAuth', { requestId: e.requestId, authChallengeResponse: { response: 'CancelAuth' } });
        return;
      }
      answered.add(e.requestId);
      void send('Fetch.continueWithAuth', {
        requestId: e.requestId,
        authChallengeResponse: { response: 'ProvideCredentials', username, password },
      });
    },
  );
  page.on('response', (res) => {
    if (!res.request().isNavigationRequest() || res.frame() !== page.mainFrame()) return;
    // A 401 the proxy forwarded from the site carries its Via header; its own refusal does not.
    const fromProxy = res.status() === 401 && challenged.has(res.url()) && !('via' in res.headers());
    if (res.status() === 407 || fromProxy) rejected = true;
  });
  await session.send('Fetch.enable', { handleAuthRequests: true, patterns: [{ urlPattern: '*' }] });
  return { rejected: () => rejected };
}
