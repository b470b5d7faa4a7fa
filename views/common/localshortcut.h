#pragma once

#include <QKeySequence>

class QAbstractButton;
class QWidget;

namespace es {

// A button's shortcut that only fires while the focus is inside scope (its
// view). QAbstractButton::setShortcut is window-wide: two visible docks with
// the same key (Esc, Ctrl+Return) would make it ambiguous and neither would fire.
void setLocalShortcut(QAbstractButton *button, const QKeySequence &key, QWidget *scope);

} // namespace es
