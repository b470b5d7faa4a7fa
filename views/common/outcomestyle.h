#pragma once

#include "types.h"

#include <QColor>
#include <QString>

namespace es::outcomestyle {

// One colour and one symbol per command outcome, the same in every view.
QColor foreground(CommandOutcome outcome);
QColor background(CommandOutcome outcome);
QString symbol(CommandOutcome outcome); // ✔ ✘ ⚠ ‼
// "accepted", "rejected"... as people read it (translated).
QString title(CommandOutcome outcome);

} // namespace es::outcomestyle
