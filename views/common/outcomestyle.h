#pragma once

#include "types.h"

#include <QList>

#include <QColor>
#include <QString>

namespace es::outcomestyle {

// One colour and one symbol per command outcome, the same in every view.
QColor foreground(CommandOutcome outcome);
QColor background(CommandOutcome outcome);
QString symbol(CommandOutcome outcome); // ✔ ✘ ⚠ ‼
// "accepted", "rejected"... as people read it (translated).
QString title(CommandOutcome outcome);

// What a pack says an accepted command's event means (DomainInfo::eventOutcomes):
// a wrong password is accepted, recorded as LoginFailed, and shown as a failure.
enum class EventMark { None, Warning, Failure };
EventMark markOf(const QHash<QString, QString> &eventOutcomes, const QString &eventType);
// The worst mark among the types, and (when asked) the first type that carries it.
EventMark worstMark(const QHash<QString, QString> &eventOutcomes, const QStringList &eventTypes,
                    QString *markedType = nullptr);
QColor foreground(EventMark mark);
QColor background(EventMark mark);
QString symbol(EventMark mark); // ✘ ⚠
QString title(EventMark mark);  // "failure", "warning"

} // namespace es::outcomestyle
