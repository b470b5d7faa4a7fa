#include "historicalbanner.h"

using namespace Qt::StringLiterals;

namespace es {

HistoricalBanner::HistoricalBanner(const QString &what, QWidget *parent)
    : QLabel(parent)
    , m_what(what)
{
    setObjectName(u"historicalBanner"_s);
    setWordWrap(true);
    setTextFormat(Qt::RichText);
    setStyleSheet(u"QLabel { background: #fff3e0; color: #8a3c00; border: 1px solid #ffb74d; border-radius: 3px;"
                  " padding: 2px 6px; }"_s);
    hide();
}

void HistoricalBanner::setAsOfPosition(qint64 position)
{
    if (position <= 0) {
        hide();
        return;
    }
    setText(u"<b>%1</b> %2"_s.arg(tr("HISTORICAL"), m_what.arg(position).toHtmlEscaped()));
    show();
}

} // namespace es
