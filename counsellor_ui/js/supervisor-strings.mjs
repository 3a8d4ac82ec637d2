// Every text of the supervisors' page and the first-start page, in one place (English
// only for now; a catalogue can replace this module later), with the small formatting
// helpers that go with them. The workspace's own texts are in strings.mjs.

import { duration, formatClock } from './strings.mjs';

export const T = {
  title: 'Helpline supervision',
  // sign-in
  signinFailed: 'Wrong username or password.',
  needCode: 'Two-step sign-in is on for this account: enter the six-digit code from your app.',
  sessionEnded: 'Your session has ended (signed out, or idle for too long). Please sign in again.',
  signedOut: 'You are signed out.',
  // tabs
  tabAnnounce: (name) => `${name} tab`,
  // dashboard
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Connection lost. Reconnecting…',
  paused: 'Paused while this tab is in the background',
  lastChange: (clock) => `Last change ${clock}`,
  noChangeYet: 'Waiting for the first figures…',
  targetNote: (s) => `Service level: share of the last hour’s requests answered within ${s} s (answered within target ÷ answered and abandoned).`,
  windowNote: 'Median, 90th percentile, answered and abandoned cover the last hour. Waits count from joining the queue to a counsellor accepting.',
  noLanguages: 'No language queues.',
  noCounsellors: 'No counsellor has signed in yet.',
  noHelp: 'No counsellor is asking for help.',
  helpFrom: (name) => `${name} asks for help`,
  helpSince: (clock, ago) => `since ${clock} (${ago})`,
  acknowledge: 'Acknowledge',
  acknowledgeLabel: (name) => `Acknowledge the help request of ${name}`,
  helpNew: (name) => `${name} asks for help.`,
  helpAcknowledged: (name) => `Help request of ${name} acknowledged; they have been told.`,
  helpGone: (name) => `The help request of ${name} was already closed.`,
  ackFailed: (name, why) => `Could not acknowledge ${name}’s request (${why}).`,
  status: {
    available: 'Available',
    busy: 'Busy',
    away: 'Away',
    offline: 'Offline',
  },
  statusFor: (what) => what,
  none: '—',
  percent: (ratio) => `${Math.round(ratio * 100)} %`,
  // chart
  chartTitle: 'Waiting and active chats per language over the shift',
  chartEmpty: 'No figures yet: the chart starts with the first minute of data.',
  chartWaiting: (lang) => `${lang}, waiting`,
  chartActive: (lang) => `${lang}, active`,
  chartSummary: (lang, waiting, active, peakWaiting, peakAt) =>
    `${lang}: now ${waiting} waiting and ${active} active; most waiting ${peakWaiting}${peakAt ? ` at ${peakAt}` : ''}.`,
  chartSpan: (from, to) => `From ${from} to ${to}.`,
  chartTable: 'The chart’s figures as a table',
  chartTableCaption: 'Seekers waiting and chats active per language (one row per sampled minute, newest last)',
  time: 'Time',
  waitingShort: 'waiting',
  activeShort: 'active',
  legendWaiting: 'solid line: waiting',
  legendActive: 'dashed line: active',
  // history
  historyEmpty: 'No requests in this period.',
  historyLoading: 'Loading…',
  suppressed: '<5',
  suppressedLabel: 'hidden small count',
  suppressedNote: (n) =>
    `A cell shown as “<${n}” is hidden: it holds a count from 1 to ${n - 1}, or now and then a larger count hidden with such a one so that the small one cannot be worked out from a total. Small numbers could point to a single conversation.`,
  periodLabel: { day: 'Day', week: 'Week', month: 'Month' },
  allLanguages: 'All languages',
  exportRefused: (n) =>
    `Not downloaded: this range has fewer than ${n} requests in all, and so few numbers could point to single conversations. Choose a longer range.`,
  exportTooLong: 'Not downloaded: the range is too long (at most 366 days). Choose a shorter one.',
  exportBadRange: 'Choose a start date and an end date, the start not after the end.',
  exportDone: (name) => `Downloaded ${name}.`,
  exportFailed: (why) => `The download failed (${why}).`,
  historyFailed: (why) => `The figures could not be loaded (${why}).`,
  network: 'The server cannot be reached. Check the connection and try again.',
  serverError: (code) => `The server refused (${code}).`,
  // setup
  setupNoToken: 'This link is incomplete: the part after “#” is missing. Copy the whole link the server printed at start.',
  setupDone: 'The supervisor account was created and you are signed in. Opening the supervision page…',
  setupNotNeeded: 'This helpline is already set up: there are staff accounts. Sign in on the supervision page.',
  setupBadToken: 'This set-up link is not valid any more (it works once, for one hour). Restart the server to get a new one, or create the account with the command line.',
  setupAlreadySetUp: 'Someone has already created the first account. Sign in on the supervision page.',
  setupUsername: 'Choose a username of 1 to 64 characters, without spaces.',
  setupPasswordShort: (n) => `The password must have at least ${n} characters.`,
  setupPasswordLong: (n) => `The password must have at most ${n} characters.`,
  setupPasswordsDiffer: 'The two passwords are not the same.',
  setupWorking: 'Creating the account… (deriving the keys from the password takes a moment)',
  weakKdf: 'The server asked for unsafe password settings. Do not continue; check the server’s configuration.',
};

/** The History tab's tables. */
export const H = {
  FIGURE_NAMES: { requests: 'Requests', answered: 'Answered', abandoned: 'Abandoned while waiting', within_target: 'Answered within target' },
  WAIT_NAMES: { '0-30': 'up to 30 s', '30-60': '30 s to 1 min', '60-120': '1 to 2 min', '120-300': '2 to 5 min', '300-600': '5 to 10 min', '600-1200': '10 to 20 min', '1200+': 'over 20 min' },
  END_NAMES: {
    seeker_left: 'The visitor left',
    seeker_gone: 'The visitor’s connection was lost',
    counsellor_ended: 'Ended by the counsellor',
    handed_back: 'Handed back to the queue',
    counsellor_lost: 'The counsellor’s connection was lost',
    transferred: 'Transferred to another language',
    transfer_failed: 'Transfer to a colleague failed',
    blocked: 'Blocked by the counsellor',
    server_stopped: 'The server stopped',
  },
  FEEDBACK_NAMES: { helpful: 'Helpful', somewhat: 'Somewhat helpful', not_helpful: 'Not helpful', answers: 'All answers' },
  totals: 'Totals',
  serviceLevel: 'Service level',
  serviceLevelTarget: (s) => `Service level (within ${s} s)`,
  all: 'All',
  byHour: 'Requests by hour',
  byDay: 'Requests by day',
  hour: 'Hour',
  day: 'Day',
  byLanguage: 'Requests by language',
  language: 'Language',
  waits: 'Waiting times',
  waitsCaption: 'Answered requests by waiting time',
  wait: 'Wait',
  outcomes: 'Outcomes',
  outcomesCaption: 'Answered chats by outcome (as the counsellor recorded it)',
  outcome: 'Outcome',
  ends: 'How chats ended',
  endsCaption: 'Requests by how they ended',
  end: 'End',
  feedback: 'Anonymous feedback',
  feedbackCaption: 'Answers to “Did this chat help?”',
  answer: 'Answer',
  loaded: (span, requests) => `${span}: ${requests} requests.`,
};

/** A wait in seconds ("45 s", "3 min"), or "—" for none. */
export function waitText(seconds) {
  return seconds === null || seconds === undefined ? T.none : duration(seconds);
}

/** A share 0..1 as a whole percentage, or "—" when there is none. */
export function shareText(ratio) {
  return typeof ratio === 'number' && Number.isFinite(ratio) ? T.percent(ratio) : T.none;
}

/** A count that may be suppressed (null): "<5" for the threshold 5. */
export function countText(count, minCount = 5) {
  if (count === null || count === undefined) return `<${minCount}`;
  return String(count);
}

/** Clock time "14:05" (or with seconds) in the reader's language. */
/** A time of day in the browser's locale (strings.mjs formatClock). */
export const clock = formatClock;

export { duration };
