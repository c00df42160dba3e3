/**
 * Syslog messages (RFC 5424, and the BSD format RFC 3164 describes) → the platform's log records.
 * A message that fits neither is kept whole as the message, so nothing a device sends is lost.
 */
import { type LogRecord, severityNumberOf } from '#domain/logs/record';

const FACILITIES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'ntp',
  'audit',
  'alert',
  'clock',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
];
/** Syslog severities 0–7 → the platform's words. */
const SEVERITY = ['fatal', 'fatal', 'fatal', 'error', 'warn', 'info', 'info', 'debug'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const RFC5424 = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: ([\s\S]*))?$/;
/** BSD syslog; rsyslog's ForwardFormat puts an RFC 3339 timestamp where the BSD one goes. */
const RFC3164 =
  /^<(\d{1,3})>(?:([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d)|(\d{4}-\d\d-\d\dT\S+)) (\S+) ([\s\S]*)$/;
const TAG = /^([^\s:[\]]{1,48})(?:\[([^\]]{1,32})\])?: ?([\s\S]*)$/;

const nil = (s: string | undefined) => (s === undefined || s === '-' ? undefined : s);

function base(pri: number, message: string, host: string | undefined, protocol: string, peer: string) {
  const severity = SEVERITY[pri & 7] ?? 'info';
  const attributes: Record<string, string> = {
    'syslog.facility': FACILITIES[pri >> 3] ?? String(pri >> 3),
    'syslog.severity': String(pri & 7),
    'syslog.protocol': protocol,
    'net.peer.ip': peer,
  };
  return {
    severity,
    severityNumber: severityNumberOf(severity),
    // rsyslog's msg property keeps the space after the tag; senders never mean it.
    message: message
      .replace(/^\uFEFF/, '')
      .trimStart()
      .replace(/[\r\n]+$/, ''),
    resource: { 'host.name': host ?? peer },
    attributes,
  };
}

/** `nowMs` dates an RFC 3164 timestamp (which has no year) and a message with none. */
export function parseSyslog(text: string, peer: string, nowMs: number): LogRecord {
  const m5424 = RFC5424.exec(text);
  if (m5424 && Number(m5424[1]) < 192) {
    const [, pri, time, host, app, procId, msgId, sd, msg] = m5424;
    const record = base(Number(pri), msg ?? '', nil(host), 'rfc5424', peer);
    const parsed = nil(time) === undefined ? Number.NaN : Date.parse(time as string);
    const attributes = record.attributes;
    if (nil(app)) attributes['syslog.appname'] = app as string;
    if (nil(procId)) attributes['syslog.procid'] = procId as string;
    if (nil(msgId)) attributes['syslog.msgid'] = msgId as string;
    if (sd && sd !== '-') attributes['syslog.structured_data'] = sd;
    return { ...record, timestampMs: Number.isNaN(parsed) ? nowMs : parsed };
  }
  const m3164 = RFC3164.exec(text);
  if (m3164 && Number(m3164[1]) < 192) {
    const [, pri, mon, day, hh, mm, ss, iso, host, rest] = m3164;
    let time: number;
    if (iso !== undefined) time = Date.parse(iso);
    else {
      const year = new Date(nowMs).getUTCFullYear();
      const at = (y: number) =>
        Date.UTC(y, MONTHS.indexOf(mon as string), Number(day), Number(hh), Number(mm), Number(ss));
      time = at(year);
      // No year: a date more than a day ahead is last year's (a December line read in January).
      if (time - nowMs > 86_400_000) time = at(year - 1);
    }
    const tag = TAG.exec(rest as string);
    const record = base(Number(pri), tag ? (tag[3] as string) : (rest as string), host, 'rfc3164', peer);
    if (tag) record.attributes['syslog.appname'] = tag[1] as string;
    if (tag?.[2]) record.attributes['syslog.procid'] = tag[2];
    return { ...record, timestampMs: Number.isNaN(time) ? nowMs : time };
  }
  const pri = /^<(\d{1,3})>/.exec(text);
  const priority = pri && Number(pri[1]) < 192 ? Number(pri[1]) : 13; // user.notice, RFC 3164 §4.3.3
  return {
    ...base(priority, pri ? text.slice(pri[0].length) : text, undefined, 'unknown', peer),
    timestampMs: nowMs,
  };
}
