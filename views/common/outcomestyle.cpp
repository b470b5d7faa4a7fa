#include "outcomestyle.h"

#include <QCoreApplication>

using namespace Qt::StringLiterals;

namespace es::outcomestyle {

QColor foreground(CommandOutcome outcome)
{
    switch (outcome) {
    case CommandOutcome::Accepted:
        return {0x2e, 0x7d, 0x32};
    case CommandOutcome::Rejected:
        return {0xbf, 0x36, 0x0c};
    case CommandOutcome::Conflict:
        return {0x5e, 0x35, 0xb1};
    case CommandOutcome::Failed:
        return {0xc6, 0x28, 0x28};
    }
    return {};
}

QColor background(CommandOutcome outcome)
{
    switch (outcome) {
    case CommandOutcome::Accepted:
        return {0xe8, 0xf5, 0xe9};
    case CommandOutcome::Rejected:
        return {0xff, 0xf3, 0xe0};
    case CommandOutcome::Conflict:
        return {0xed, 0xe7, 0xf6};
    case CommandOutcome::Failed:
        return {0xff, 0xeb, 0xee};
    }
    return {};
}

QString symbol(CommandOutcome outcome)
{
    switch (outcome) {
    case CommandOutcome::Accepted:
        return u"✔"_s;
    case CommandOutcome::Rejected:
        return u"✘"_s;
    case CommandOutcome::Conflict:
        return u"⚠"_s;
    case CommandOutcome::Failed:
        return u"‼"_s;
    }
    return {};
}

QString title(CommandOutcome outcome)
{
    switch (outcome) {
    case CommandOutcome::Accepted:
        return QCoreApplication::translate("es::outcomestyle", "accepted");
    case CommandOutcome::Rejected:
        return QCoreApplication::translate("es::outcomestyle", "rejected");
    case CommandOutcome::Conflict:
        return QCoreApplication::translate("es::outcomestyle", "conflict");
    case CommandOutcome::Failed:
        return QCoreApplication::translate("es::outcomestyle", "failed");
    }
    return {};
}

EventMark markOf(const QHash<QString, QString> &eventOutcomes, const QString &eventType)
{
    const QString outcome = eventOutcomes.value(eventType);
    if (outcome == u"failure"_s)
        return EventMark::Failure;
    if (outcome == u"warning"_s)
        return EventMark::Warning;
    return EventMark::None;
}

EventMark worstMark(const QHash<QString, QString> &eventOutcomes, const QStringList &eventTypes, QString *markedType)
{
    EventMark worst = EventMark::None;
    for (const QString &type : eventTypes) {
        const EventMark m = markOf(eventOutcomes, type);
        if (int(m) > int(worst)) {
            worst = m;
            if (markedType)
                *markedType = type;
        }
    }
    return worst;
}

QColor foreground(EventMark mark)
{
    switch (mark) {
    case EventMark::Failure:
        return {0xc6, 0x28, 0x28};
    case EventMark::Warning:
        return {0xe6, 0x51, 0x00};
    case EventMark::None:
        break;
    }
    return foreground(CommandOutcome::Accepted);
}

QColor background(EventMark mark)
{
    switch (mark) {
    case EventMark::Failure:
        return {0xff, 0xeb, 0xee};
    case EventMark::Warning:
        return {0xff, 0xf3, 0xe0};
    case EventMark::None:
        break;
    }
    return background(CommandOutcome::Accepted);
}

QString symbol(EventMark mark)
{
    switch (mark) {
    case EventMark::Failure:
        return u"✘"_s;
    case EventMark::Warning:
        return u"⚠"_s;
    case EventMark::None:
        break;
    }
    return symbol(CommandOutcome::Accepted);
}

QString title(EventMark mark)
{
    switch (mark) {
    case EventMark::Failure:
        return QCoreApplication::translate("es::outcomestyle", "failure");
    case EventMark::Warning:
        return QCoreApplication::translate("es::outcomestyle", "warning");
    case EventMark::None:
        break;
    }
    return title(CommandOutcome::Accepted);
}

} // namespace es::outcomestyle
