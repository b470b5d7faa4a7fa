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
        description: "Bank accounts: open, deposit, withdraw, close. No overdraft.",

        aggregates: {
            Account: {
                description: "A bank account in one currency; the stream id is the account id.",

                // An object, or a function returning one. The state starts here
                // and each event's evolve handler produces the next one.
                initialState: { open: false, closed: false, owner: "", currency: "", balance: 0 },

                commands: {
                    OpenAccount: {
                        description: "Opens the account for an owner in one currency.",
                        fields: {
                            owner: { type: "string", required: true, maxLength: 80, description: "Account holder" },
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
                    }
                }
            }
        },

        // Read models and process managers: this sample has none yet.
        projections: {},
        reactions: {},

        // Upcasters turn the data of an event stored with an older schema
        // version into the current shape: { EventType: { 1: data => newData } }.
        upcasters: {}
    };

    // In Node.js, require() returns module.exports; Eventscope takes the value
    // of the file's last expression, which is this function's return value.
    if (typeof module !== "undefined" && module.exports) module.exports = pack;
    return pack;
})();
