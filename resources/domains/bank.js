// bank.js: the sample domain pack of Eventscope. It doubles as documentation
// of the pack format, so it is commented more than a real pack would be.
//
// A pack is one plain JavaScript file whose value is the pack object. It runs
// in Eventscope's JavaScript engine and, unchanged, in Node.js, so a domain
// can be unit-tested with any JavaScript tooling:
//
//     const bank = require("./bank.js");
//     const acc = bank.aggregates.Account;
//     const ctx = { now: "2024-05-01T12:00:00.000Z", nowMs: 1714564800000, actor: "test",
//                   commandId: "c1", stream: "acc-1", newId: () => "id-1",
//                   reject: (reason, fields) => ({ rejected: true, reason, fields: fields || {} }) };
//     const state = acc.initialState;
//     const events = acc.commands.OpenAccount.decide(state, { type: "OpenAccount", stream: "acc-1",
//                                                             commandId: "c1", data: { owner: "Ada", currency: "EUR" } }, ctx);
//
// Rules that keep replays deterministic:
// - decide, evolve and projection handlers are pure: no globals, no I/O.
// - Time, ids and the actor come from ctx (ctx.now, ctx.nowMs, ctx.newId(),
//   ctx.actor). Date.now() and Math.random() exist but a replay would not
//   reproduce them.
// - Only data that survives JSON goes into events and state.
//
// Language level: ES2017 plus template literals, classes, arrow functions.
// Eventscope's engine (Qt 6.4) has no object spread ({ ...state }) and no
// async functions: use Object.assign({}, state, changes) instead.
(function () {
    "use strict";

    // Amounts are numbers in currency units; every balance is rounded to cents
    // so that 0.1 + 0.2 never shows up as 0.30000000000000004.
    function cents(x) {
        return Math.round(x * 100) / 100;
    }
    function money(x) {
        return cents(x).toFixed(2);
    }
    function hasMoreThanTwoDecimals(x) {
        return Math.abs(x * 100 - Math.round(x * 100)) > 1e-6;
    }

    // The Balances row after an event that carries the new balance; none for
    // an account without a row (closed).
    function withBalance(row, event) {
        return row === null ? null : Object.assign({}, row, { balance: event.data.balance });
    }

    // Commands other than OpenAccount need an open account. Returns a
    // rejection, or null when the command may proceed.
    function requireOpen(state, ctx) {
        if (!state.open && !state.closed) return ctx.reject("account " + ctx.stream + " is not open");
        if (state.closed) return ctx.reject("account " + ctx.stream + " is closed");
        return null;
    }

    // Validation of declared fields (types, required, min...) happens before
    // decide is called: decide only checks the business rules.
    const amountField = {
        type: "number",
        required: true,
        min: 0.01,
        description: "Amount in the account's currency, at most two decimals"
    };

    const pack = {
        name: "bank",
        version: "1.0.0",
        description: "Bank accounts: open, deposit, withdraw, transfer (with refunds), close. No overdraft.",

        aggregates: {
            Account: {
                // New stream ids look like this (the workload generator and the GUI's "new id" use it).
                streamTemplate: "account-{n}",
                description: "A bank account in one currency; the stream id is the account id.",

                // An object, or a function returning one. The state starts here
                // and each event's evolve handler produces the next one.
                initialState: { open: false, closed: false, owner: "", currency: "", balance: 0 },

                commands: {
                    OpenAccount: {
                        description: "Opens the account for an owner in one currency.",
                        fields: {
                            owner: { type: "string", required: true, maxLength: 80, description: "Account holder",
                                     examples: ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"] },
                            currency: { type: "enum", values: ["EUR", "USD", "GBP"], required: true }
                        },
                        // decide(state, command, ctx): command is
                        // { type, stream, commandId, data }. Return an array of
                        // events { type, data }, one event, [] for "nothing to
                        // do", or ctx.reject(reason, { field: message }).
                        decide(state, command, ctx) {
                            if (state.closed)
                                return ctx.reject("account " + ctx.stream + " was closed: open a new account with a new id");
                            if (state.open) return ctx.reject("account " + ctx.stream + " is already open");
                            return [{
                                type: "AccountOpened",
                                data: { owner: command.data.owner, currency: command.data.currency, openedAt: ctx.now }
                            }];
                        }
                    },

                    Deposit: {
                        description: "Puts money into the account.",
                        fields: { amount: amountField },
                        decide(state, command, ctx) {
                            const refused = requireOpen(state, ctx);
                            if (refused) return refused;
                            const amount = command.data.amount;
                            if (hasMoreThanTwoDecimals(amount))
                                return ctx.reject("amounts have at most two decimals", { amount: "at most two decimals" });
                            // A single event may be returned without the array.
                            return { type: "MoneyDeposited", data: { amount: amount, balance: cents(state.balance + amount) } };
                        }
                    },

                    Withdraw: {
                        description: "Takes money out of the account; never below zero.",
                        fields: { amount: amountField },
                        decide(state, command, ctx) {
                            const refused = requireOpen(state, ctx);
                            if (refused) return refused;
                            const amount = command.data.amount;
                            if (hasMoreThanTwoDecimals(amount))
                                return ctx.reject("amounts have at most two decimals", { amount: "at most two decimals" });
                            if (amount > state.balance) {
                                // The second argument names the fields at fault,
                                // so a form can show the reason next to them.
                                return ctx.reject("insufficient funds: balance " + money(state.balance) + ", requested " + money(amount),
                                                  { amount: "exceeds the balance of " + money(state.balance) });
                            }
                            return [{ type: "MoneyWithdrawn", data: { amount: amount, balance: cents(state.balance - amount) } }];
                        }
                    },

                    // Transfers between accounts run as a process: the sender's
                    // account records TransferSent; a reaction (below) then asks
                    // the receiving account to take the money. If that account
                    // cannot (closed, or never opened), it records a bounce, and
                    // a second reaction refunds the sender: compensation, since
                    // no transaction spans two streams.
                    SendTransfer: {
                        description: "Sends money to another account (by its stream id).",
                        fields: {
                            to: { type: "string", required: true, minLength: 1, maxLength: 120,
                                  description: "The receiving account's stream id", examples: ["account-1", "account-2", "account-3"] },
                            amount: amountField
                        },
                        decide(state, command, ctx) {
                            const refused = requireOpen(state, ctx);
                            if (refused) return refused;
                            const amount = command.data.amount;
                            if (command.data.to === ctx.stream)
                                return ctx.reject("an account cannot send a transfer to itself", { to: "must be another account" });
                            if (hasMoreThanTwoDecimals(amount))
                                return ctx.reject("amounts have at most two decimals", { amount: "at most two decimals" });
                            if (amount > state.balance)
                                return ctx.reject("insufficient funds: balance " + money(state.balance) + ", requested " + money(amount),
                                                  { amount: "exceeds the balance of " + money(state.balance) });
                            return [{
                                type: "TransferSent",
                                data: { transferId: ctx.newId(), to: command.data.to, amount: amount, balance: cents(state.balance - amount) }
                            }];
                        }
                    },

                    // Sent by the CreditTransfer reaction, not by people.
                    ReceiveTransfer: {
                        description: "Credits a transfer sent by another account (issued by a reaction).",
                        fields: {
                            transferId: { type: "string", required: true },
                            from: { type: "string", required: true },
                            amount: amountField
                        },
                        decide(state, command, ctx) {
                            const d = command.data;
                            if (!state.open) {
                                // Not a rejection: a rejection writes nothing, and the
                                // sender's side must learn of it to refund.
                                return [{
                                    type: "TransferBounced",
                                    data: { transferId: d.transferId, from: d.from, amount: d.amount,
                                            reason: state.closed ? "account closed" : "no such account" }
                                }];
                            }
                            return [{
                                type: "TransferReceived",
                                data: { transferId: d.transferId, from: d.from, amount: d.amount, balance: cents(state.balance + d.amount) }
                            }];
                        }
                    },

                    // Sent by the RefundBouncedTransfer reaction.
                    RefundTransfer: {
                        description: "Gives back a transfer the receiver could not take (issued by a reaction).",
                        fields: {
                            transferId: { type: "string", required: true },
                            amount: amountField,
                            reason: { type: "string" }
                        },
                        decide(state, command, ctx) {
                            if (!state.open && !state.closed) return ctx.reject("account " + ctx.stream + " is not open");
                            if (state.refunded && state.refunded[command.data.transferId])
                                return []; // already refunded: a repeated reaction changes nothing
                            return [{
                                type: "TransferRefunded",
                                data: { transferId: command.data.transferId, amount: command.data.amount,
                                        reason: command.data.reason || "", balance: cents(state.balance + command.data.amount) }
                            }];
                        }
                    },

                    CloseAccount: {
                        description: "Closes the account; its balance must be zero.",
                        fields: {
                            reason: { type: "string", maxLength: 200, description: "Why the account is closed (optional)" }
                        },
                        decide(state, command, ctx) {
                            const refused = requireOpen(state, ctx);
                            if (refused) return refused;
                            if (state.balance !== 0)
                                return ctx.reject("the balance must be zero to close the account (balance " + money(state.balance) + ")");
                            return [{ type: "AccountClosed", data: { closedAt: ctx.now, reason: command.data.reason || "" } }];
                        }
                    }
                },

                // evolve: one handler per event type, (state, event) => next
                // state. event is { type, data, stream, version, position,
                // recordedAt, metadata }. Return a new object rather than
                // changing state: the caller may still hold the old one.
                evolve: {
                    AccountOpened(state, event) {
                        return Object.assign({}, state, { open: true, owner: event.data.owner, currency: event.data.currency });
                    },
                    MoneyDeposited(state, event) {
                        return Object.assign({}, state, { balance: cents(state.balance + event.data.amount) });
                    },
                    MoneyWithdrawn(state, event) {
                        return Object.assign({}, state, { balance: cents(state.balance - event.data.amount) });
                    },
                    AccountClosed(state) {
                        return Object.assign({}, state, { open: false, closed: true });
                    },
                    TransferSent(state, event) {
                        return Object.assign({}, state, { balance: cents(state.balance - event.data.amount) });
                    },
                    TransferReceived(state, event) {
                        return Object.assign({}, state, { balance: cents(state.balance + event.data.amount) });
                    },
                    TransferBounced(state) {
                        return state; // the money never arrived
                    },
                    TransferRefunded(state, event) {
                        const refunded = Object.assign({}, state.refunded || {});
                        refunded[event.data.transferId] = true;
                        return Object.assign({}, state, { balance: cents(state.balance + event.data.amount), refunded: refunded });
                    }
                }
            }
        },

        // Read models, run by the projection engine: key(event) names the row an
        // event touches; each handler returns the next row, or null to delete it.
        projections: {
            Balances: {
                kind: "table",
                description: "One row per open account: owner, currency, balance.",
                columns: { owner: "text", currency: "text", balance: "real" },
                key: "stream",
                handlers: {
                    AccountOpened(row, event) { return { owner: event.data.owner, currency: event.data.currency, balance: 0 }; },
                    // A closed account has no row (AccountClosed deleted it): a late refund keeps it that way.
                    MoneyDeposited(row, event) { return withBalance(row, event); },
                    MoneyWithdrawn(row, event) { return withBalance(row, event); },
                    TransferSent(row, event) { return withBalance(row, event); },
                    TransferReceived(row, event) { return withBalance(row, event); },
                    TransferRefunded(row, event) { return withBalance(row, event); },
                    AccountClosed() { return null; }
                }
            }
        },

        // Reactions (process managers): on an event, issue commands. The engine
        // sends them with the event as causation and its correlation id, so the
        // whole transfer shows as one causal tree.
        reactions: {
            CreditTransfer: {
                on: "TransferSent",
                handle(event) {
                    return [{ command: "ReceiveTransfer", stream: event.data.to,
                              data: { transferId: event.data.transferId, from: event.stream, amount: event.data.amount } }];
                }
            },
            RefundBouncedTransfer: {
                on: "TransferBounced",
                handle(event) {
                    return [{ command: "RefundTransfer", stream: event.data.from,
                              data: { transferId: event.data.transferId, amount: event.data.amount, reason: event.data.reason } }];
                }
            }
        },

        // Upcasters turn the data of an event stored with an older schema
        // version into the current shape: { EventType: { 1: data => newData } }.
        upcasters: {}
    };

    // In Node.js, require() returns module.exports; Eventscope takes the value
    // of the file's last expression, which is this function's return value.
    if (typeof module !== "undefined" && module.exports) module.exports = pack;
    return pack;
})();
