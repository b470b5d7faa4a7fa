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

} // namespace es::outcomestyle
