/**
 * Where this booking app's national calls go: the service directory (DoS), the endpoint directory (SDS),
 * the secure proxy, and this system's own ASID and organisation. Read-only: an operator sets them where
 * the app is started (docs/going-live.md); no secret is ever sent to the page.
 */
import { useEffect, useState } from 'react';
import { SummaryList } from '../components';
import { api, type Settings } from './api';

export function SettingsPage() {
  const [settings, setSettings] = useState<Settings | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    document.title = 'Settings – Slotbridge';
    void api.settings().then(setSettings, (e: Error) => setError(e.message));
  }, []);
  return (
    <>
      <h1>Settings</h1>
      <p>
        Where this booking app finds services and books them. They are set by whoever runs the app; ask your service
        desk to change them.
      </p>
      {error && <p className="nhsuk-error-message">{error}</p>}
      {settings && (
        <SummaryList
          rows={[
            ['Service directory (DoS)', <code key="dos">{settings.dos}</code>],
            ['DoS account', settings.dosUser],
            ['Endpoint directory (SDS)', <code key="sds">{settings.sds}</code>],
            ['Secure proxy', <code key="proxy">{settings.proxy}</code>],
            ['Client certificate', settings.clientCertificate ? 'Presented on every national call' : 'None'],
            ['This system', `ASID ${settings.asid}, organisation ${settings.odsCode}`],
          ]}
        />
      )}
    </>
  );
}
