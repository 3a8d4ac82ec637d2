// What a session reports from receive(): plain frozen objects with a `kind`, mirroring
// crypto/events.py (Outgoing, Established, Message, Typing, TransferRequested,
// PeerClosed, GapDetected) with camelCase fields.
//
//   {kind: "outgoing", payload}            bytes to send to the peer (the relay carries b64u)
//   {kind: "established", epoch, safetyCode, handle, transcripts, samePerson,
//    prevEpochAck, prevEpochSent}          an epoch's keys are in place: show the safety
//                                          code and the handle (plain text) and, when
//                                          transcripts is true, say so before the first
//                                          message. samePerson (counsellor side): true
//                                          when a re-hello's tag checked, false when it
//                                          did not, null with nothing to compare. Re-send
//                                          our previous-epoch frames n > prevEpochAck,
//                                          up to prevEpochSent − 1.
//   {kind: "message", n, text, ack}        a message (frame n of the current epoch)
//   {kind: "typing", n, on, ack}
//   {kind: "transferRequested", ik2, handle2}  the counsellor hands the chat over: call
//                                          SeekerSession.hello(now) at once (the relay
//                                          holds it until the new counsellor accepts)
//   {kind: "peerClosed", reason}           the peer ended the chat; the session is closed
//   {kind: "gapDetected", expected, got}   frames are missing: ask the relay to resend
//                                          from `expected` (nothing advanced)

export const outgoing = (payload) => Object.freeze({ kind: 'outgoing', payload });

export const established = (epoch, safetyCode, handle, transcripts, samePerson, prevEpochAck = null, prevEpochSent = 0) =>
  Object.freeze({ kind: 'established', epoch, safetyCode, handle, transcripts, samePerson, prevEpochAck, prevEpochSent });

export const message = (n, text, ack) => Object.freeze({ kind: 'message', n, text, ack });

export const typing = (n, on, ack) => Object.freeze({ kind: 'typing', n, on, ack });

export const transferRequested = (ik2, handle2) => Object.freeze({ kind: 'transferRequested', ik2, handle2 });

export const peerClosed = (reason) => Object.freeze({ kind: 'peerClosed', reason });

export const gapDetected = (expected, got) => Object.freeze({ kind: 'gapDetected', expected, got });
