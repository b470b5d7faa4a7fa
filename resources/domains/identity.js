// identity.js: user accounts and logins as an Eventscope domain pack:
// registration, password login against a salted hash, a second factor (MFA),
// lockout after repeated failures, and sessions that open and expire. A
// sample that doubles as a tutorial; it also shows secret fields and an
// upcaster.
//
//   user-<username>   User   Register, EnableMfa, Login, VerifyMfa,
//                            ExpireSession, Logout, UnlockAccount
//
// A login, as events:
//
//   Login ─ right password, no MFA ─► LoginSucceeded + SessionOpened
//         ─ right password, MFA on ─► MfaChallengeIssued ─VerifyMfa─► MfaVerified + SessionOpened
//                                                                    └─ wrong code ─► MfaFailed
//         ─ wrong password ─────────► LoginFailed (+ AccountLocked at the 3rd failure in a row)
//
// A failed login is an *accepted* command that records LoginFailed: the
// failure has to be remembered to count towards the lockout, and a rejected
// command writes nothing. Rejections are kept for commands that make no
// sense (an unknown user, a locked account, an unknown session).
//
// Passwords: the password field is declared secret, so Eventscope's command
// log keeps it redacted, and no event ever holds it. Register stores a salted
// SHA-256 hash of it (the salt is a fresh id from ctx.newId()), and Login
// compares hashes. SHA-256 is implemented below in plain JavaScript, because a
// pack has no library to call: it must run unchanged in Qt's QJSEngine and in
// Node.js. (A real system would use a deliberately slow password hash, such
// as Argon2, scrypt or PBKDF2 with many rounds, so that a leaked hash is
// expensive to brute-force. One SHA-256 round keeps the demo fast.)
//
// Read models: Users and ActiveSessions (tables).
//
//     node resources/harness/harness.js resources/domains/identity.js resources/domains/cases/identity.cases.json
//
// Language level: ES2017 without object spread, optional chaining (?.) or
// nullish coalescing (??).
(function () {
    "use strict";

    // ------------------------------------------------------------- constants

    // The 3rd failed attempt in a row (wrong password or wrong MFA code)
    // locks the account until an administrator unlocks it.
    const MAX_FAILED_ATTEMPTS = 3;
    const SESSION_MINUTES = 30;
    const CHALLENGE_MINUTES = 5;
    const MINUTE_MS = 60 * 1000;

    const USERNAME_PATTERN = "[a-z0-9][a-z0-9._-]{2,31}";
    // Deliberately loose: something@something.tld. Whether an address works
    // is learnt by sending mail to it, not from a regular expression.
    const EMAIL_PATTERN = "[^@\\s]+@[^@\\s]+\\.[^@\\s]+";

    // ---------------------------------------------------------------- SHA-256
    // FIPS 180-4. Strings are hashed as their UTF-8 bytes, so the result is
    // the same as `printf %s TEXT | sha256sum` or Node's
    // crypto.createHash("sha256").update(TEXT).digest("hex").

    // The UTF-8 bytes of a string; a surrogate pair is one code point.
    function utf8Bytes(text) {
        const bytes = [];
        for (let i = 0; i < text.length; ++i) {
            let c = text.charCodeAt(i);
            if (c >= 0xd800 && c < 0xe000) {
                const low = c < 0xdc00 && i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
                if (low >= 0xdc00 && low < 0xe000) {
                    c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
                    ++i;
                } else {
                    c = 0xfffd; // a lone surrogate is not text: encoded as U+FFFD, as TextEncoder does
                }
            }
            if (c < 0x80) bytes.push(c);
            else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 63));
            else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
            else bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
        }
        return bytes;
    }

    // The round constants: the first 32 bits of the fractional parts of the
    // cube roots of the first 64 primes (FIPS 180-4, 4.2.2).
    const K = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
    ];

    // JavaScript's bitwise operators work on 32-bit integers, which is what
    // SHA-256 needs: `| 0` wraps a sum to 32 bits, `>>> 0` reads it unsigned.
    function rotr(x, n) {
        return (x >>> n) | (x << (32 - n));
    }

    // The lower-case hex digest of a string.
    function sha256(text) {
        // Padding: a 1 bit, zeros, then the message length in bits as a 64-bit
        // big-endian number, so the total is a multiple of 64 bytes.
        const bytes = utf8Bytes(text);
        const bitLength = bytes.length * 8;
        bytes.push(0x80);
        while (bytes.length % 64 !== 56) bytes.push(0);
        const high = Math.floor(bitLength / 0x100000000);
        for (let s = 24; s >= 0; s -= 8) bytes.push((high >>> s) & 0xff);
        for (let s = 24; s >= 0; s -= 8) bytes.push((bitLength >>> s) & 0xff);

        // The initial hash value: fractional parts of the square roots of the
        // first 8 primes (4.2.2 again).
        const h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
        const w = new Array(64);
        for (let off = 0; off < bytes.length; off += 64) {
            // The message schedule: 16 words of the block, 48 derived ones.
            for (let i = 0; i < 16; ++i) {
                const j = off + i * 4;
                w[i] = (bytes[j] << 24) | (bytes[j + 1] << 16) | (bytes[j + 2] << 8) | bytes[j + 3];
            }
            for (let i = 16; i < 64; ++i) {
                const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
                const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
                w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
            }
            // 64 rounds of compression over the working variables a..h.
            let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
            for (let i = 0; i < 64; ++i) {
                const ch = (e & f) ^ (~e & g);
                const maj = (a & b) ^ (a & c) ^ (b & c);
                const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ch + K[i] + w[i]) | 0;
                const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + maj) | 0;
                hh = g; g = f; f = e; e = (d + t1) | 0;
                d = c; c = b; b = a; a = (t1 + t2) | 0;
            }
            h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
            h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + hh) | 0;
        }
        return h.map(function (x) { return ("0000000" + (x >>> 0).toString(16)).slice(-8); }).join("");
    }

    // The stored credential: the hash of salt and password together. The salt
    // makes equal passwords hash differently and defeats precomputed tables.
    function passwordHash(salt, password) {
        return sha256(salt + ":" + password);
    }

    // The 6-digit code of an MFA challenge, derived from the challenge id and
    // the user's salt: deterministic, so a replay of the decision gives the
    // same code, and not guessable from the challenge id alone.
    function mfaCode(salt, challengeId) {
        const n = parseInt(sha256("mfa:" + salt + ":" + challengeId).slice(0, 8), 16) % 1000000;
        return ("00000" + n).slice(-6);
    }

    // ISO 8601 time `minutes` after ctx.nowMs. new Date(ms) is deterministic;
    // only new Date() without an argument (like Date.now()) reads the clock.
    function later(ctx, minutes) {
        return new Date(ctx.nowMs + minutes * MINUTE_MS).toISOString();
    }

    // "user-ann" -> "ann". Register makes sure User streams are named so.
    function usernameOf(stream) {
        return stream.indexOf("user-") === 0 ? stream.slice("user-".length) : stream;
    }

    // Rejections shared by the commands of a registered user, or null.
    function requireUser(state, ctx) {
        return state.registered ? null : ctx.reject("unknown user " + usernameOf(ctx.stream));
    }
    function requireUnlocked(state, ctx) {
        return state.locked
            ? ctx.reject("the account " + state.username + " is locked after " + MAX_FAILED_ATTEMPTS +
                         " failed attempts: an administrator must unlock it")
            : null;
    }

    // A failed attempt of either kind: the failure event, plus AccountLocked
    // when it is the last one allowed.
    function failure(type, data, attempts, ctx) {
        const events = [{ type: type, data: Object.assign({ attempts: attempts }, data) }];
        if (attempts >= MAX_FAILED_ATTEMPTS)
            events.push({ type: "AccountLocked", data: { attempts: attempts, lockedAt: ctx.now } });
        return events;
    }

    function openSession(state, ctx) {
        return {
            type: "SessionOpened",
            data: { sessionId: ctx.newId(), username: state.username, openedAt: ctx.now, expiresAt: later(ctx, SESSION_MINUTES) }
        };
    }

    // Event types that end a session; both remove it from the state.
    function closeSession(state, event) {
        const sessions = Object.assign({}, state.sessions);
        delete sessions[event.data.sessionId];
        return Object.assign({}, state, { sessions: sessions });
    }

    const passwordField = {
        type: "string", required: true, minLength: 8, maxLength: 200,
        // Sample values for the workload generator and the GUI's forms.
        examples: ["correct horse battery", "hunter2hunter2"],
        // secret: Eventscope's command log and views show "***" instead of
        // the value. Nothing else changes: decide receives it in clear.
        secret: true,
        description: "At least 8 characters"
    };

    const pack = {
        name: "identity",
        version: "1.0.0",
        description: "User accounts: registration, password login with optional MFA, lockout, sessions.",

        aggregates: {
            // Stream "user-<username>": the username is the natural key, and
            // the stream id makes it unique (Register on an existing stream is
            // rejected). A login addresses the user by name alone.
            User: {
                // New stream ids look like this (the workload generator and the GUI's "new id" use it).
                streamTemplate: "user-{word}{n}",
                description: "A user account; stream user-<username>.",

                initialState: {
                    registered: false,
                    username: "", email: "",
                    salt: "", passwordHash: "",   // never the password itself
                    mfa: false,
                    locked: false,
                    failedAttempts: 0,            // in a row; a success resets it
                    challenge: null,              // the pending MFA challenge { challengeId, code, expiresAt }
                    sessions: {}                  // open sessions: sessionId -> { openedAt, expiresAt }
                },

                commands: {
                    Register: {
                        description: "Creates the account with a password.",
                        fields: {
                            // Optional: the username is the stream id after
                            // "user-". When given, it must agree.
                            username: { type: "string", pattern: USERNAME_PATTERN, description: "Defaults to the stream id after user-" },
                            email: { type: "string", required: true, pattern: EMAIL_PATTERN, maxLength: 254,
                                     examples: ["ann@example.com", "bob@example.org", "carol@example.net"] },
                            password: passwordField
                        },
                        decide(state, command, ctx) {
                            const d = command.data;
                            if (state.registered) return ctx.reject("user " + state.username + " is already registered");
                            if (ctx.stream.indexOf("user-") !== 0)
                                return ctx.reject("users live on streams named user-<username>, not " + ctx.stream);
                            const username = usernameOf(ctx.stream);
                            if (d.username !== undefined && d.username !== username)
                                return ctx.reject("the username must be the stream id's suffix", { username: "must be " + username + " on stream " + ctx.stream });
                            if (!new RegExp("^(?:" + USERNAME_PATTERN + ")$").test(username))
                                return ctx.reject("the stream id does not end in a valid username", { username: "must match " + USERNAME_PATTERN });
                            // Messages about a secret field never quote it.
                            if (d.password.toLowerCase().indexOf(username) >= 0)
                                return ctx.reject("the password must not contain the username", { password: "must not contain the username" });
                            const salt = ctx.newId();
                            return [{
                                type: "UserRegistered",
                                data: { username: username, email: d.email, salt: salt, passwordHash: passwordHash(salt, d.password), registeredAt: ctx.now }
                            }];
                        }
                    },

                    EnableMfa: {
                        description: "Turns on the second factor: logins then need a code.",
                        fields: {},
                        decide(state, command, ctx) {
                            const refused = requireUser(state, ctx);
                            if (refused) return refused;
                            if (state.mfa) return ctx.reject("MFA is already enabled for " + state.username);
                            return [{ type: "MfaEnabled", data: { enabledAt: ctx.now } }];
                        }
                    },

                    Login: {
                        description: "Checks the password; opens a session, or issues an MFA challenge when MFA is on.",
                        fields: { password: passwordField },
                        decide(state, command, ctx) {
                            const refused = requireUser(state, ctx) || requireUnlocked(state, ctx);
                            if (refused) return refused;
                            if (passwordHash(state.salt, command.data.password) !== state.passwordHash)
                                return failure("LoginFailed", { reason: "wrong password", at: ctx.now }, state.failedAttempts + 1, ctx);
                            if (state.mfa) {
                                // The code is "delivered out of band" (SMS,
                                // e-mail, an authenticator app). It is kept in
                                // the event only because this is a demo, so
                                // that a trainer can read it and verify.
                                const challengeId = ctx.newId();
                                return [{
                                    type: "MfaChallengeIssued",
                                    data: { challengeId: challengeId, code: mfaCode(state.salt, challengeId), issuedAt: ctx.now, expiresAt: later(ctx, CHALLENGE_MINUTES) }
                                }];
                            }
                            return [{ type: "LoginSucceeded", data: { method: "password", at: ctx.now } }, openSession(state, ctx)];
                        }
                    },

                    VerifyMfa: {
                        description: "Answers the pending MFA challenge with its code.",
                        fields: {
                            challengeId: { type: "string", required: true, minLength: 1, maxLength: 64 },
                            // A one-time code is a credential too.
                            code: { type: "string", required: true, pattern: "[0-9]{6}", secret: true, description: "6 digits" }
                        },
                        decide(state, command, ctx) {
                            const refused = requireUser(state, ctx) || requireUnlocked(state, ctx);
                            if (refused) return refused;
                            const d = command.data;
                            const c = state.challenge;
                            if (!c || c.challengeId !== d.challengeId)
                                return ctx.reject("no pending challenge " + d.challengeId + ": log in again", { challengeId: "unknown or already used" });
                            if (ctx.nowMs >= Date.parse(c.expiresAt))
                                return ctx.reject("challenge " + d.challengeId + " expired at " + c.expiresAt + ": log in again");
                            if (d.code !== c.code)
                                return failure("MfaFailed", { challengeId: d.challengeId, at: ctx.now }, state.failedAttempts + 1, ctx);
                            return [{ type: "MfaVerified", data: { challengeId: d.challengeId, at: ctx.now } }, openSession(state, ctx)];
                        }
                    },

                    ExpireSession: {
                        description: "Ends a session whose time is up (a scheduler sends it); force ends it early.",
                        fields: {
                            sessionId: { type: "string", required: true, minLength: 1, maxLength: 64 },
                            force: { type: "boolean", description: "End the session even before it expires" }
                        },
                        decide(state, command, ctx) {
                            const refused = requireUser(state, ctx);
                            if (refused) return refused;
                            const d = command.data;
                            const session = state.sessions[d.sessionId];
                            if (!session) return ctx.reject("no open session " + d.sessionId, { sessionId: "unknown or already ended" });
                            const due = ctx.nowMs >= Date.parse(session.expiresAt);
                            if (!due && d.force !== true)
                                return ctx.reject("session " + d.sessionId + " runs until " + session.expiresAt + " (force: true ends it now)");
                            return [{ type: "SessionExpired", data: { sessionId: d.sessionId, forced: !due, expiredAt: ctx.now } }];
                        }
                    },

                    Logout: {
                        description: "Ends one of the user's sessions.",
                        fields: { sessionId: { type: "string", required: true, minLength: 1, maxLength: 64 } },
                        decide(state, command, ctx) {
                            const refused = requireUser(state, ctx);
                            if (refused) return refused;
                            const id = command.data.sessionId;
                            if (!state.sessions[id]) return ctx.reject("no open session " + id, { sessionId: "unknown or already ended" });
                            return [{ type: "LoggedOut", data: { sessionId: id, at: ctx.now } }];
                        }
                    },

                    UnlockAccount: {
                        description: "Lifts a lockout; sent by an administrator, never by the user.",
                        fields: { reason: { type: "string", maxLength: 200 } },
                        decide(state, command, ctx) {
                            const refused = requireUser(state, ctx);
                            if (refused) return refused;
                            if (!state.locked) return ctx.reject("the account " + state.username + " is not locked");
                            // ctx.actor is who sent the command (the command's
                            // metadata). A real system would check a role; the
                            // demo only insists on someone other than the user.
                            if (!ctx.actor) return ctx.reject("unlocking needs an identified actor (an administrator)");
                            if (ctx.actor === state.username) return ctx.reject("users cannot unlock their own account");
                            return [{ type: "AccountUnlocked", data: { by: ctx.actor, reason: command.data.reason || "", unlockedAt: ctx.now } }];
                        }
                    }
                },

                // Pure (state, event) => next state; a new object every time.
                // UserRegistered events of schema version 1 reach this handler
                // already upcast (see upcasters below): it only knows `email`.
                evolve: {
                    UserRegistered(state, event) {
                        const d = event.data;
                        return Object.assign({}, state, { registered: true, username: d.username, email: d.email, salt: d.salt, passwordHash: d.passwordHash });
                    },
                    MfaEnabled(state) {
                        return Object.assign({}, state, { mfa: true });
                    },
                    LoginFailed(state, event) {
                        return Object.assign({}, state, { failedAttempts: event.data.attempts });
                    },
                    MfaFailed(state, event) {
                        return Object.assign({}, state, { failedAttempts: event.data.attempts });
                    },
                    AccountLocked(state) {
                        return Object.assign({}, state, { locked: true, challenge: null });
                    },
                    AccountUnlocked(state) {
                        return Object.assign({}, state, { locked: false, failedAttempts: 0 });
                    },
                    LoginSucceeded(state) {
                        return Object.assign({}, state, { failedAttempts: 0 });
                    },
                    MfaChallengeIssued(state, event) {
                        const d = event.data;
                        return Object.assign({}, state, { challenge: { challengeId: d.challengeId, code: d.code, expiresAt: d.expiresAt } });
                    },
                    MfaVerified(state) {
                        return Object.assign({}, state, { failedAttempts: 0, challenge: null });
                    },
                    SessionOpened(state, event) {
                        const d = event.data;
                        const sessions = Object.assign({}, state.sessions);
                        sessions[d.sessionId] = { openedAt: d.openedAt, expiresAt: d.expiresAt };
                        return Object.assign({}, state, { sessions: sessions });
                    },
                    SessionExpired: closeSession,
                    LoggedOut: closeSession
                }
            }
        },

        // No process manager in this domain.
        reactions: {},

        // Read models; key(event) names the row an event touches (null: none),
        // and each handler (current, event, key) returns the next row, or
        // null to delete it.
        projections: {
            Users: {
                kind: "table",
                description: "Every account with its status; mfa is 1 when on (SQL has no boolean).",
                columns: {
                    username: "text", email: "text", status: "text", failedAttempts: "integer", mfa: "integer",
                    openSessions: "integer", registeredAt: "text", lastLoginAt: "text"
                },
                // Every event of a User stream concerns that user.
                key(event) {
                    return usernameOf(event.stream);
                },
                handlers: {
                    UserRegistered(row, event) {
                        const d = event.data;
                        return {
                            username: d.username, email: d.email, status: "active", failedAttempts: 0, mfa: 0,
                            openSessions: 0, registeredAt: d.registeredAt, lastLoginAt: ""
                        };
                    },
                    MfaEnabled(row) {
                        return row && Object.assign({}, row, { mfa: 1 });
                    },
                    LoginFailed(row, event) {
                        return row && Object.assign({}, row, { failedAttempts: event.data.attempts });
                    },
                    MfaFailed(row, event) {
                        return row && Object.assign({}, row, { failedAttempts: event.data.attempts });
                    },
                    AccountLocked(row) {
                        return row && Object.assign({}, row, { status: "locked" });
                    },
                    AccountUnlocked(row) {
                        return row && Object.assign({}, row, { status: "active", failedAttempts: 0 });
                    },
                    LoginSucceeded(row) {
                        return row && Object.assign({}, row, { failedAttempts: 0 });
                    },
                    MfaVerified(row) {
                        return row && Object.assign({}, row, { failedAttempts: 0 });
                    },
                    SessionOpened(row, event) {
                        return row && Object.assign({}, row, { openSessions: row.openSessions + 1, lastLoginAt: event.data.openedAt });
                    },
                    SessionExpired(row) {
                        return row && Object.assign({}, row, { openSessions: Math.max(0, row.openSessions - 1) });
                    },
                    LoggedOut(row) {
                        return row && Object.assign({}, row, { openSessions: Math.max(0, row.openSessions - 1) });
                    }
                }
            },

            ActiveSessions: {
                kind: "table",
                description: "Open sessions; a row disappears when its session expires or is logged out.",
                columns: { sessionId: "text", username: "text", openedAt: "text", expiresAt: "text" },
                key(event) {
                    return event.data.sessionId || null;
                },
                handlers: {
                    SessionOpened(row, event) {
                        const d = event.data;
                        return { sessionId: d.sessionId, username: d.username, openedAt: d.openedAt, expiresAt: d.expiresAt };
                    },
                    // null deletes the row.
                    SessionExpired() {
                        return null;
                    },
                    LoggedOut() {
                        return null;
                    }
                }
            }
        },

        // Upcasters: events are immutable, so when an event's shape changes the
        // old events stay as they were written, and are converted when read,
        // before evolve (and the projections) see them. The shape is
        // { EventType: { N: function (data) { return data of version N+1; } } };
        // the functions chain from the event's stored schemaVersion up.
        //
        // The example: an early version of this pack wrote UserRegistered
        // with the address in `mail`; it was renamed `email`. Version 1 ->
        // version 2 renames it.
        //
        // Note: Eventscope stores every new event with schemaVersion 1 today
        // (a pack cannot yet declare the version it writes), so this upcaster
        // also sees events of the current shape. It therefore changes only
        // what is old-shaped and passes anything else through untouched: an
        // upcaster written that way is safe either way.
        upcasters: {
            UserRegistered: {
                1: function (data) {
                    if (data.mail === undefined || data.email !== undefined) return data;
                    const upgraded = Object.assign({}, data, { email: data.mail });
                    delete upgraded.mail;
                    return upgraded;
                }
            }
        }
    };

    // In Node.js, require() returns module.exports; Eventscope takes the value
    // of the file's last expression, which is this function's return value.
    if (typeof module !== "undefined" && module.exports) module.exports = pack;
    return pack;
})();
