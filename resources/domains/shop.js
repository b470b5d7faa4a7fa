// shop.js: an online shop as an Eventscope domain pack. It is a sample that
// doubles as a tutorial: read it top to bottom to see the parts of a pack
// working together across several aggregates.
//
//   cart-<id>         Cart     AddItem, RemoveItem, Checkout
//   order-<orderId>   Order    PlaceOrder, PayOrder, ShipOrder, CancelOrder
//   product-<SKU>     Product  AddProduct, Restock, ReserveStock, ReleaseStock
//
// The flow, as a trainer would draw it:
//
//   Checkout ─► CartCheckedOut ─(reaction PlaceOrderOnCheckout)─► PlaceOrder on order-<orderId>
//   OrderPlaced ─(reaction ReserveStockOnOrderPlaced)─► one ReserveStock per item on product-<SKU>
//   StockReservationFailed ─(reaction CancelOrderWhenStockFails)─► CancelOrder
//   OrderCancelled ─(reaction ReleaseStockOnOrderCancelled)─► one ReleaseStock per item
//
// Each aggregate is a consistency boundary: a decision only ever sees the
// state of its own stream. Anything that spans streams (a cart becoming an
// order, an order taking stock) is a *reaction*: a process manager that turns
// an event into commands for other streams. Those commands may fail, so the
// steps that others need to know about are events (StockReservationFailed),
// not rejections: a rejection writes nothing, and nothing can react to it.
//
// A reaction may run twice for one event (a crash after its command but
// before its checkpoint, a rebuild), so the commands reactions issue are
// idempotent: reserving stock twice for the same order, or cancelling an
// order that is already cancelled, is accepted and writes nothing.
//
// Read models (projections) at the end: OrdersPerCustomer, Orders,
// StockLevels (tables) and ProductSearch (full-text search).
//
// The pack runs unchanged in Eventscope (Qt's QJSEngine) and in Node.js:
//
//     node resources/harness/harness.js resources/domains/shop.js resources/domains/cases/shop.cases.json
//
// Language level: ES2017 without object spread, optional chaining (?.) or
// nullish coalescing (??); Object.assign({}, state, changes) copies a state.
(function () {
    "use strict";

    // ---------------------------------------------------------------- helpers
    // Plain functions shared by the aggregates and projections below. They are
    // private to the pack: only the object returned at the end is visible.

    // Money is a number in currency units, rounded to cents after every
    // operation so that 0.1 + 0.2 never shows up as 0.30000000000000004.
    function cents(x) {
        return Math.round(x * 100) / 100;
    }
    function money(x) {
        return cents(x).toFixed(2);
    }

    // The sum of quantity × unit price over a list of order lines.
    function totalOf(items) {
        return items.reduce(function (sum, item) { return cents(sum + item.quantity * item.unitPrice); }, 0);
    }

    // Stream ids follow "<prefix>-<id>". idFromStream("order-42", "order-")
    // is "42"; a stream without the prefix is its own id.
    function idFromStream(stream, prefix) {
        return stream.indexOf(prefix) === 0 ? stream.slice(prefix.length) : stream;
    }

    // A SKU (stock keeping unit) names a product: upper-case letters, digits
    // and dashes. Declared once, used by several commands.
    const SKU_PATTERN = "[A-Z0-9][A-Z0-9-]*";

    // Declared fields are checked by Eventscope before decide runs: a command
    // that does not fit is rejected field by field and decide never sees it.
    // Types: string, number, integer, boolean, enum, datetime, object, array.
    // Constraints: required, min, max, minLength, maxLength, pattern (the
    // whole value must match), values (enum), description, and secret (see
    // identity.js).
    const skuField = { type: "string", required: true, pattern: SKU_PATTERN, maxLength: 40, description: "Product SKU, e.g. MUG-RED" };
    const orderIdField = { type: "string", required: true, minLength: 1, maxLength: 64, description: "The order the stock is for" };

    // Declared types are shallow: "array" says nothing about the elements.
    // Commands that take a list of order lines check them here and reject
    // with a message naming the field. Returns a message or null.
    function checkItems(items) {
        const sku = new RegExp("^(?:" + SKU_PATTERN + ")$");
        for (let i = 0; i < items.length; ++i) {
            const item = items[i];
            const where = "item " + (i + 1) + ": ";
            if (item === null || typeof item !== "object" || Array.isArray(item))
                return where + "must be an object { sku, quantity, unitPrice }";
            if (typeof item.sku !== "string" || !sku.test(item.sku)) return where + "sku must match " + SKU_PATTERN;
            if (typeof item.quantity !== "number" || !Number.isInteger(item.quantity) || item.quantity < 1)
                return where + "quantity must be a positive integer";
            if (typeof item.unitPrice !== "number" || !(item.unitPrice >= 0)) return where + "unitPrice must be a number >= 0";
        }
        return null;
    }

    // Only the three keys an order line has, in a fixed order: events keep
    // exactly what the domain means, not whatever the caller sent along.
    function line(item) {
        return { sku: item.sku, quantity: item.quantity, unitPrice: item.unitPrice };
    }

    const pack = {
        name: "shop",
        version: "1.0.0",
        description: "An online shop: carts, checkout, orders with payment and shipment, " +
            "and product stock reserved by a process manager.",

        aggregates: {
            // ============================================================ Cart
            // Stream "cart-<id>", any id the client likes (a session id, a
            // UUID). The cart collects lines until it is checked out; after
            // that it is frozen and the order takes over.
            Cart: {
                // New stream ids look like this (the workload generator and the GUI's "new id" use it).
                streamTemplate: "cart-{n}",
                description: "A shopping cart; stream cart-<id>. Checked out once, then frozen.",

                // items: order lines [{ sku, quantity, unitPrice }], one per SKU.
                initialState: { items: [], checkedOut: false, orderId: "" },

                // The first command of an aggregate is the one that starts a
                // stream (Eventscope's workload generator relies on it).
                commands: {
                    AddItem: {
                        description: "Puts a quantity of a product into the cart; adding a SKU again adds to its line.",
                        fields: {
                            sku: skuField,
                            quantity: { type: "integer", required: true, min: 1, max: 99 },
                            // A real shop would take the price from its catalogue
                            // (a read model); the caller passes it here to keep
                            // the cart independent of the product streams.
                            unitPrice: { type: "number", required: true, min: 0, description: "Price of one unit" }
                        },
                        decide(state, command, ctx) {
                            const d = command.data;
                            if (state.checkedOut)
                                return ctx.reject("the cart is checked out (order " + state.orderId + "): start a new cart");
                            const existing = state.items.filter(function (i) { return i.sku === d.sku; })[0];
                            // Business rules that depend on the state are
                            // checked here; the second argument of reject names
                            // the fields at fault, so a form can show the reason
                            // next to them.
                            if (existing && existing.quantity + d.quantity > 99)
                                return ctx.reject("at most 99 units of " + d.sku + " per cart",
                                                  { quantity: "the cart already holds " + existing.quantity });
                            return [{ type: "ItemAdded", data: { sku: d.sku, quantity: d.quantity, unitPrice: cents(d.unitPrice) } }];
                        }
                    },

                    RemoveItem: {
                        description: "Takes a quantity of a product out of the cart (all of it when no quantity is given).",
                        fields: {
                            sku: skuField,
                            quantity: { type: "integer", min: 1, max: 99, description: "Units to remove; all when omitted" }
                        },
                        decide(state, command, ctx) {
                            const d = command.data;
                            if (state.checkedOut) return ctx.reject("the cart is checked out (order " + state.orderId + ")");
                            const existing = state.items.filter(function (i) { return i.sku === d.sku; })[0];
                            if (!existing) return ctx.reject(d.sku + " is not in the cart", { sku: "not in the cart" });
                            const quantity = d.quantity === undefined ? existing.quantity : d.quantity;
                            if (quantity > existing.quantity)
                                return ctx.reject("the cart holds only " + existing.quantity + " of " + d.sku,
                                                  { quantity: "at most " + existing.quantity });
                            return [{ type: "ItemRemoved", data: { sku: d.sku, quantity: quantity } }];
                        }
                    },

                    Checkout: {
                        description: "Turns the cart into an order for a customer; the order id is new.",
                        fields: {
                            customer: { type: "string", required: true, minLength: 1, maxLength: 80, description: "Who buys (name or e-mail)" }
                        },
                        decide(state, command, ctx) {
                            if (state.checkedOut)
                                return ctx.reject("the cart is already checked out (order " + state.orderId + ")");
                            if (state.items.length === 0) return ctx.reject("the cart is empty");
                            // Ids come from ctx.newId(), never from
                            // Math.random(): Eventscope records the ids a
                            // command used, so a replay produces the same ones.
                            // The event carries everything the order needs, so
                            // the reaction that places the order reads nothing else.
                            return [{
                                type: "CartCheckedOut",
                                data: {
                                    orderId: ctx.newId(),
                                    customer: command.data.customer,
                                    items: state.items.map(line),
                                    total: totalOf(state.items),
                                    checkedOutAt: ctx.now
                                }
                            }];
                        }
                    }
                },

                // evolve: (state, event) => next state, one handler per event
                // type. Pure, and it returns a new object: the engine may still
                // hold the previous state (time travel shows both).
                evolve: {
                    ItemAdded(state, event) {
                        const d = event.data;
                        let found = false;
                        const items = state.items.map(function (i) {
                            if (i.sku !== d.sku) return i;
                            found = true;
                            // The latest price wins for the whole line.
                            return { sku: i.sku, quantity: i.quantity + d.quantity, unitPrice: d.unitPrice };
                        });
                        if (!found) items.push(line(d));
                        return Object.assign({}, state, { items: items });
                    },
                    ItemRemoved(state, event) {
                        const d = event.data;
                        const items = state.items
                            .map(function (i) { return i.sku === d.sku ? line({ sku: i.sku, quantity: i.quantity - d.quantity, unitPrice: i.unitPrice }) : i; })
                            .filter(function (i) { return i.quantity > 0; });
                        return Object.assign({}, state, { items: items });
                    },
                    CartCheckedOut(state, event) {
                        return Object.assign({}, state, { checkedOut: true, orderId: event.data.orderId });
                    }
                }
            },

            // =========================================================== Order
            // Stream "order-<orderId>", started by the reaction
            // PlaceOrderOnCheckout with the id Checkout drew. Lifecycle:
            //   placed ─PayOrder─► paid ─ShipOrder─► shipped
            //   placed or paid ─CancelOrder─► cancelled (a paid order is refunded)
            Order: {
                // New stream ids look like this (the workload generator and the GUI's "new id" use it).
                streamTemplate: "order-{id}",
                description: "An order; stream order-<orderId>. placed → paid → shipped, or cancelled before shipment.",

                initialState: {
                    status: "none", // none | placed | paid | shipped | cancelled
                    orderId: "", customer: "", cartId: "", items: [], total: 0, paid: 0
                },

                commands: {
                    PlaceOrder: {
                        description: "Places an order (issued by the PlaceOrderOnCheckout reaction; may also be sent by hand).",
                        fields: {
                            customer: { type: "string", required: true, minLength: 1, maxLength: 80 },
                            items: { type: "array", required: true, minLength: 1, description: "Order lines [{ sku, quantity, unitPrice }]" },
                            total: { type: "number", required: true, min: 0, description: "Must equal the sum of the lines" },
                            cartId: { type: "string", maxLength: 64, description: "The cart it came from, if any" }
                        },
                        decide(state, command, ctx) {
                            const d = command.data;
                            if (state.status !== "none") return ctx.reject("order " + state.orderId + " is already placed");
                            const problem = checkItems(d.items);
                            if (problem) return ctx.reject("invalid order lines", { items: problem });
                            const items = d.items.map(line);
                            // Never trust a total computed elsewhere: recompute it.
                            if (cents(d.total) !== totalOf(items))
                                return ctx.reject("the total does not match the lines",
                                                  { total: "must be " + money(totalOf(items)) });
                            return [{
                                type: "OrderPlaced",
                                data: {
                                    orderId: idFromStream(ctx.stream, "order-"),
                                    customer: d.customer,
                                    items: items,
                                    total: totalOf(items),
                                    cartId: d.cartId || "",
                                    placedAt: ctx.now
                                }
                            }];
                        }
                    },

                    PayOrder: {
                        description: "Records the payment of the whole order.",
                        fields: {
                            amount: { type: "number", required: true, min: 0.01 },
                            method: { type: "enum", required: true, values: ["card", "paypal", "bank-transfer", "invoice"] }
                        },
                        decide(state, command, ctx) {
                            const d = command.data;
                            if (state.status === "none") return ctx.reject("unknown order " + ctx.stream);
                            if (state.status === "cancelled") return ctx.reject("order " + state.orderId + " is cancelled");
                            if (state.status !== "placed") return ctx.reject("order " + state.orderId + " is already paid");
                            if (cents(d.amount) !== state.total)
                                return ctx.reject("the amount must equal the order total " + money(state.total),
                                                  { amount: "must be " + money(state.total) });
                            // Events of the order carry orderId and customer so
                            // that read models keyed by either need no lookup.
                            return [{
                                type: "OrderPaid",
                                data: { orderId: state.orderId, customer: state.customer, amount: cents(d.amount), method: d.method, paidAt: ctx.now }
                            }];
                        }
                    },

                    ShipOrder: {
                        description: "Hands a paid order to a carrier.",
                        fields: {
                            carrier: { type: "enum", required: true, values: ["DHL", "UPS", "FedEx", "PostNL", "La Poste"] },
                            trackingNumber: { type: "string", required: true, pattern: "[A-Za-z0-9-]+", maxLength: 40 }
                        },
                        decide(state, command, ctx) {
                            const d = command.data;
                            if (state.status === "none") return ctx.reject("unknown order " + ctx.stream);
                            if (state.status === "placed") return ctx.reject("order " + state.orderId + " is not paid yet");
                            if (state.status === "shipped") return ctx.reject("order " + state.orderId + " is already shipped");
                            if (state.status === "cancelled") return ctx.reject("order " + state.orderId + " is cancelled");
                            return [{
                                type: "OrderShipped",
                                data: { orderId: state.orderId, customer: state.customer, carrier: d.carrier, trackingNumber: d.trackingNumber, shippedAt: ctx.now }
                            }];
                        }
                    },

                    CancelOrder: {
                        description: "Cancels an order that has not shipped; a paid order is refunded.",
                        fields: {
                            reason: { type: "string", required: true, minLength: 1, maxLength: 200 }
                        },
                        decide(state, command, ctx) {
                            if (state.status === "none") return ctx.reject("unknown order " + ctx.stream);
                            if (state.status === "shipped")
                                return ctx.reject("order " + state.orderId + " has shipped: it can no longer be cancelled");
                            // Cancelling twice has the same outcome as once: an
                            // accepted command with no events ([]). Two failed
                            // reservations of one order both ask to cancel it.
                            if (state.status === "cancelled") return [];
                            // items ride along so that the reaction releasing
                            // the stock needs nothing but this event.
                            return [{
                                type: "OrderCancelled",
                                data: {
                                    orderId: state.orderId, customer: state.customer, reason: command.data.reason,
                                    refund: state.paid, items: state.items, cancelledAt: ctx.now
                                }
                            }];
                        }
                    }
                },

                evolve: {
                    OrderPlaced(state, event) {
                        const d = event.data;
                        return Object.assign({}, state, {
                            status: "placed", orderId: d.orderId, customer: d.customer, cartId: d.cartId, items: d.items, total: d.total
                        });
                    },
                    OrderPaid(state, event) {
                        return Object.assign({}, state, { status: "paid", paid: event.data.amount });
                    },
                    OrderShipped(state) {
                        return Object.assign({}, state, { status: "shipped" });
                    },
                    OrderCancelled(state) {
                        return Object.assign({}, state, { status: "cancelled", paid: 0 });
                    }
                }
            },

            // ========================================================= Product
            // Stream "product-<SKU>": the stream id *is* the product's natural
            // key, which is what makes a SKU unique (a stream starts once), and
            // what lets the reactions address a product by its SKU alone.
            //
            // stock counts the units available to new orders. A reservation
            // takes units out of it for an order; releasing the reservation
            // (the order was cancelled) puts them back. Units of a shipped
            // order simply stay reserved: they left the warehouse.
            Product: {
                // New stream ids look like this (the workload generator and the GUI's "new id" use it).
                streamTemplate: "product-{WORD}-{n}",
                description: "A product and its stock; stream product-<SKU>.",

                initialState: {
                    added: false, sku: "", name: "", description: "", price: 0, stock: 0,
                    reservations: {} // orderId -> { quantity, status: reserved | released | failed }
                },

                commands: {
                    AddProduct: {
                        description: "Adds a product to the catalogue with its initial stock.",
                        fields: {
                            // Optional: the SKU is the stream id's suffix, so
                            // "exec --stream product-MUG-RED AddProduct {...}"
                            // needs no sku. When given, it must agree.
                            sku: { type: "string", pattern: SKU_PATTERN, maxLength: 40, description: "Defaults to the stream id after product-" },
                            name: { type: "string", required: true, minLength: 1, maxLength: 120 },
                            description: { type: "string", maxLength: 2000 },
                            price: { type: "number", required: true, min: 0.01 },
                            stock: { type: "integer", min: 0, max: 1000000, description: "Units in stock (0 when omitted)" }
                        },
                        decide(state, command, ctx) {
                            const d = command.data;
                            if (state.added) return ctx.reject("product " + state.sku + " already exists");
                            if (ctx.stream.indexOf("product-") !== 0)
                                return ctx.reject("products live on streams named product-<SKU>, not " + ctx.stream);
                            const sku = idFromStream(ctx.stream, "product-");
                            if (d.sku !== undefined && d.sku !== sku)
                                return ctx.reject("the SKU must be the stream id's suffix", { sku: "must be " + sku + " on stream " + ctx.stream });
                            if (!new RegExp("^(?:" + SKU_PATTERN + ")$").test(sku))
                                return ctx.reject("the stream id does not end in a valid SKU", { sku: "must match " + SKU_PATTERN });
                            return [{
                                type: "ProductAdded",
                                data: { sku: sku, name: d.name, description: d.description || "", price: cents(d.price), stock: d.stock || 0 }
                            }];
                        }
                    },

                    Restock: {
                        description: "Adds delivered units to the stock.",
                        fields: { quantity: { type: "integer", required: true, min: 1, max: 1000000 } },
                        decide(state, command, ctx) {
                            if (!state.added) return ctx.reject("unknown product " + ctx.stream);
                            const q = command.data.quantity;
                            // Events carry the resulting level too, so read
                            // models can show it without re-adding numbers.
                            return [{ type: "StockRestocked", data: { sku: state.sku, quantity: q, stock: state.stock + q } }];
                        }
                    },

                    ReserveStock: {
                        description: "Sets units aside for an order (issued by ReserveStockOnOrderPlaced).",
                        fields: {
                            orderId: orderIdField,
                            quantity: { type: "integer", required: true, min: 1 }
                        },
                        decide(state, command, ctx) {
                            const d = command.data;
                            // A redelivered reaction: this order was already
                            // handled (reserved, released or failed), so there
                            // is nothing to do.
                            if (state.reservations[d.orderId]) return [];
                            // Not enough stock is an *outcome*, not a refusal:
                            // the event lets the CancelOrderWhenStockFails
                            // reaction cancel the order. A rejection would be
                            // logged and then nothing would happen.
                            if (!state.added || state.stock < d.quantity) {
                                return [{
                                    type: "StockReservationFailed",
                                    data: {
                                        sku: state.added ? state.sku : idFromStream(ctx.stream, "product-"),
                                        orderId: d.orderId, quantity: d.quantity, available: state.stock,
                                        reason: state.added ? "insufficient stock" : "unknown product"
                                    }
                                }];
                            }
                            return [{ type: "StockReserved", data: { sku: state.sku, orderId: d.orderId, quantity: d.quantity, stock: state.stock - d.quantity } }];
                        }
                    },

                    ReleaseStock: {
                        description: "Returns an order's reserved units to the stock (issued by ReleaseStockOnOrderCancelled).",
                        fields: { orderId: orderIdField },
                        decide(state, command, ctx) {
                            const r = state.reservations[command.data.orderId];
                            // The reservation failed (maybe because the product
                            // does not exist) or was released already: nothing
                            // to give back, and not an error. The compensation
                            // releases every line of a cancelled order,
                            // including the line that caused the cancellation.
                            if (r && r.status !== "reserved") return [];
                            if (!state.added) return ctx.reject("unknown product " + ctx.stream);
                            if (!r) return []; // this order never reserved this product
                            return [{ type: "StockReleased", data: { sku: state.sku, orderId: command.data.orderId, quantity: r.quantity, stock: state.stock + r.quantity } }];
                        }
                    }
                },

                evolve: {
                    ProductAdded(state, event) {
                        const d = event.data;
                        return Object.assign({}, state, { added: true, sku: d.sku, name: d.name, description: d.description, price: d.price, stock: d.stock });
                    },
                    StockRestocked(state, event) {
                        return Object.assign({}, state, { stock: event.data.stock });
                    },
                    StockReserved(state, event) {
                        const d = event.data;
                        // Copy the map before changing it: the old state stays intact.
                        const reservations = Object.assign({}, state.reservations);
                        reservations[d.orderId] = { quantity: d.quantity, status: "reserved" };
                        return Object.assign({}, state, { stock: d.stock, reservations: reservations });
                    },
                    StockReleased(state, event) {
                        const d = event.data;
                        const reservations = Object.assign({}, state.reservations);
                        reservations[d.orderId] = { quantity: d.quantity, status: "released" };
                        return Object.assign({}, state, { stock: d.stock, reservations: reservations });
                    },
                    // The stock is unchanged; the failure is remembered so that
                    // a redelivered ReserveStock does not fail a second time.
                    StockReservationFailed(state, event) {
                        const d = event.data;
                        const reservations = Object.assign({}, state.reservations);
                        reservations[d.orderId] = { quantity: d.quantity, status: "failed" };
                        return Object.assign({}, state, { reservations: reservations });
                    }
                }
            }
        },

        // ================================================================ reactions
        // Process managers. When an event of type `on` is stored, handle(event)
        // returns the commands to send: [{ command, stream, data }]. Eventscope
        // sends them through the same pipeline as any command (validation,
        // decision, append), with the event as their causation and the
        // event's correlation id, so the whole chain started by one Checkout
        // shows up as one correlation. Like projections, handle is pure and
        // uses only the event: all it needs travels in the event's data.
        reactions: {
            PlaceOrderOnCheckout: {
                on: "CartCheckedOut",
                handle(event) {
                    const d = event.data;
                    return [{
                        command: "PlaceOrder",
                        stream: "order-" + d.orderId,
                        data: { customer: d.customer, items: d.items, total: d.total, cartId: idFromStream(event.stream, "cart-") }
                    }];
                }
            },
            ReserveStockOnOrderPlaced: {
                on: "OrderPlaced",
                handle(event) {
                    // One command per line: each product is its own stream, and
                    // no transaction spans streams.
                    return event.data.items.map(function (item) {
                        return { command: "ReserveStock", stream: "product-" + item.sku, data: { orderId: event.data.orderId, quantity: item.quantity } };
                    });
                }
            },
            CancelOrderWhenStockFails: {
                on: "StockReservationFailed",
                handle(event) {
                    const d = event.data;
                    return [{
                        command: "CancelOrder",
                        stream: "order-" + d.orderId,
                        data: { reason: d.reason + " for " + d.sku + " (wanted " + d.quantity + ", available " + d.available + ")" }
                    }];
                }
            },
            // The compensation: lines that did get their stock give it back.
            // ReleaseStock is a no-op for a product with nothing reserved.
            ReleaseStockOnOrderCancelled: {
                on: "OrderCancelled",
                handle(event) {
                    return event.data.items.map(function (item) {
                        return { command: "ReleaseStock", stream: "product-" + item.sku, data: { orderId: event.data.orderId } };
                    });
                }
            }
        },

        // ============================================================== projections
        // Read models, built from events only and queried without touching
        // the aggregates. For each event, key(event) names the row(s) it
        // touches (a string, an array of strings, or null to skip the event);
        // the handler for the event's type gets (current, event, key), where
        // current is the row as it is (null when there is none yet), and
        // returns the next row, or null to delete it. Handlers are pure.
        projections: {
            // kind "table": one SQL row per key, with the declared columns
            // (text, integer, real). The row's key is also kept in a column so
            // that the row reads well on its own.
            OrdersPerCustomer: {
                kind: "table",
                description: "Per customer: orders placed and cancelled, money spent (payments minus refunds).",
                columns: { customer: "text", orders: "integer", cancelled: "integer", totalSpent: "real", lastOrderAt: "text" },
                key(event) {
                    return event.data.customer || null;
                },
                handlers: {
                    OrderPlaced(row, event, key) {
                        const r = row || { customer: key, orders: 0, cancelled: 0, totalSpent: 0, lastOrderAt: "" };
                        return Object.assign({}, r, { orders: r.orders + 1, lastOrderAt: event.data.placedAt });
                    },
                    OrderPaid(row, event) {
                        if (!row) return null; // payment of an order this model never saw placed
                        return Object.assign({}, row, { totalSpent: cents(row.totalSpent + event.data.amount) });
                    },
                    OrderCancelled(row, event) {
                        if (!row) return null;
                        return Object.assign({}, row, { cancelled: row.cancelled + 1, totalSpent: cents(row.totalSpent - event.data.refund) });
                    }
                }
            },

            Orders: {
                kind: "table",
                description: "One row per order with its status.",
                columns: {
                    orderId: "text", customer: "text", status: "text", total: "real", units: "integer",
                    carrier: "text", trackingNumber: "text", updatedAt: "text"
                },
                key(event) {
                    return event.data.orderId || null;
                },
                handlers: {
                    OrderPlaced(row, event) {
                        const d = event.data;
                        return {
                            orderId: d.orderId, customer: d.customer, status: "placed", total: d.total,
                            units: d.items.reduce(function (n, i) { return n + i.quantity; }, 0),
                            carrier: "", trackingNumber: "", updatedAt: event.recordedAt
                        };
                    },
                    // event.recordedAt is the store's timestamp of the event:
                    // stored with it, so a rebuild reproduces the same rows.
                    OrderPaid(row, event) {
                        return row && Object.assign({}, row, { status: "paid", updatedAt: event.recordedAt });
                    },
                    OrderShipped(row, event) {
                        return row && Object.assign({}, row, {
                            status: "shipped", carrier: event.data.carrier, trackingNumber: event.data.trackingNumber, updatedAt: event.recordedAt
                        });
                    },
                    OrderCancelled(row, event) {
                        return row && Object.assign({}, row, { status: "cancelled", updatedAt: event.recordedAt });
                    }
                }
            },

            StockLevels: {
                kind: "table",
                description: "Per product: units available and reserved, and how many reservations failed.",
                columns: { sku: "text", name: "text", price: "real", available: "integer", reserved: "integer", failedReservations: "integer" },
                key(event) {
                    return event.data.sku || null;
                },
                handlers: {
                    ProductAdded(row, event) {
                        const d = event.data;
                        return { sku: d.sku, name: d.name, price: d.price, available: d.stock, reserved: 0, failedReservations: 0 };
                    },
                    StockRestocked(row, event) {
                        return row && Object.assign({}, row, { available: event.data.stock });
                    },
                    StockReserved(row, event) {
                        return row && Object.assign({}, row, { available: event.data.stock, reserved: row.reserved + event.data.quantity });
                    },
                    StockReleased(row, event) {
                        return row && Object.assign({}, row, { available: event.data.stock, reserved: row.reserved - event.data.quantity });
                    },
                    StockReservationFailed(row) {
                        // An unknown product has no row: nothing to count on.
                        return row && Object.assign({}, row, { failedReservations: row.failedReservations + 1 });
                    }
                }
            },

            // kind "search": each handler returns a document; `fields` are the
            // ones indexed for full-text search, the others are stored with it.
            ProductSearch: {
                kind: "search",
                description: "Full-text search over product names and descriptions.",
                fields: ["name", "description"],
                key(event) {
                    return event.data.sku || null;
                },
                handlers: {
                    ProductAdded(doc, event) {
                        const d = event.data;
                        return { sku: d.sku, name: d.name, description: d.description, price: d.price, available: d.stock };
                    },
                    StockRestocked(doc, event) {
                        return doc && Object.assign({}, doc, { available: event.data.stock });
                    },
                    StockReserved(doc, event) {
                        return doc && Object.assign({}, doc, { available: event.data.stock });
                    },
                    StockReleased(doc, event) {
                        return doc && Object.assign({}, doc, { available: event.data.stock });
                    }
                }
            }
        },

        // No event of this pack has changed shape yet; see identity.js for an
        // upcaster.
        upcasters: {}
    };

    // In Node.js, require() returns module.exports; Eventscope takes the value
    // of the file's last expression, which is this function's return value.
    if (typeof module !== "undefined" && module.exports) module.exports = pack;
    return pack;
})();
