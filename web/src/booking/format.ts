/** Dates, times and durations as the call handler reads them, in UK local time. */
import { LOCAL_TIME_ZONE } from '../../../src/fhir/time.js';

export const day = (iso: string) =>
  new Date(iso).toLocaleDateString('en-GB', {
    timeZone: LOCAL_TIME_ZONE,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
  });
export const time = (iso: string) =>
  new Date(iso).toLocaleTimeString('en-GB', { timeZone: LOCAL_TIME_ZONE, hour: '2-digit', minute: '2-digit' });
export const when = (iso: string) => `${day(iso)} at ${time(iso)}`;
export const duration = (m: number) =>
  [Math.floor(m / 60) ? `${Math.floor(m / 60)} hours` : '', m % 60 ? `${m % 60} minutes` : '']
    .filter(Boolean)
    .join(' ');
