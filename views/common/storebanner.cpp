#include "storebanner.h"

#include <QLabel>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace es {

StoreBanner::StoreBanner(QWidget *parent)
    : QFrame(parent)
    , m_headline(new QLabel(this))
    , m_details(new QLabel(this))
{
    setObjectName(u"storeBanner"_s);
    setFrameShape(QFrame::StyledPanel);
    m_headline->setObjectName(u"storeBannerHeadline"_s);
    m_details->setObjectName(u"storeBannerDetails"_s);
    m_details->setWordWrap(true);
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse); // commands to copy
    m_headline->setTextFormat(Qt::PlainText);
    m_details->setTextFormat(Qt::PlainText);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(10, 6, 10, 6);
    layout->setSpacing(2);
    layout->addWidget(m_headline);
    layout->addWidget(m_details);
    hide();
}

void StoreBanner::showProblem(Severity severity, const QString &headline, const QString &details)
{
    const bool danger = severity == Severity::Danger;
    setStyleSheet(danger ? u"QFrame#storeBanner { background: #fde7e9; border: 1px solid #b00020; }"_s
                         : u"QFrame#storeBanner { background: #fff4d6; border: 1px solid #b35900; }"_s);
    m_headline->setStyleSheet(danger ? u"color: #b00020; font-weight: bold"_s : u"color: #7a3d00; font-weight: bold"_s);
    m_headline->setText(headline);
    m_details->setText(details);
    m_details->setVisible(!details.isEmpty());
    show();
}

void StoreBanner::clear()
{
    m_headline->clear();
    m_details->clear();
    hide();
}

QString StoreBanner::headline() const
{
    return m_headline->text();
}

QString StoreBanner::details() const
{
    return m_details->text();
}

} // namespace es
