#pragma once

class QObject;

namespace es {

// Call first in the destructor of a widget that connects its children's
// signals to its own slots (or to lambdas with itself as context).
//
// ~QWidget hides and deletes a widget's children only after the subclass's
// destructor has run, and ~QObject drops the connections later still. On the
// way, the children signal: a table's scroll bar its new range, a stack its
// new current page, a line edit that loses the focus editingFinished. Those
// signals would reach slots of an object that is no longer of its class and
// whose members are gone (undefined behaviour; UBSan: "downcast of address
// ... which does not point to an object of type"). This drops every
// connection from receiver's descendants to receiver, so they cannot.
void disconnectDescendants(QObject *receiver);

} // namespace es
