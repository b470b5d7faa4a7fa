#include "pipelinediagram.h"

#include "commandlog/stagebar.h"
#include "common/outcomestyle.h"
#include "pipelinenodeitem.h"

#include <QFontMetricsF>
#include <QGraphicsPathItem>
#include <QGraphicsTextItem>
#include <QPainter>
#include <QTextDocument>
#include <QVariantAnimation>

#include <cmath>

using namespace Qt::StringLiterals;

namespace es {

namespace {

constexpr qreal PitchX = 156;
constexpr qreal PitchY = 104;
constexpr qreal HalfW = PipelineNodeItem::Width / 2;
constexpr qreal FanHalfW = PipelineNodeItem::WideWidth / 2;
constexpr qreal HalfH = PipelineNodeItem::Height / 2;
// The fan-out column (projections, reactions) and the read store after it.
constexpr qreal FanX = 6 * PitchX + HalfW + 44 + FanHalfW;
constexpr qreal ReadX = FanX + FanHalfW + 44 + HalfW;

const QColor CommandColor{0x15, 0x65, 0xc0};
const QColor ReactionColor{0xef, 0x6c, 0x00};
const QColor ExternalColor{0x54, 0x6e, 0x7a};

QString edgeKey(const QString &from, const QString &to)
{
    return from + u'>' + to;
}

// The moving dot of a flow with its label (the command, or the event it carries).
class TokenItem : public QGraphicsItem {
public:
    TokenItem(const QString &label, const QColor &color)
        : m_label(label)
        , m_color(color)
    {
        QFont f;
        f.setPointSizeF(8.5);
        f.setBold(true);
        m_font = f;
        const QFontMetricsF fm(f);
        const qreal w = fm.horizontalAdvance(m_label) + 12;
        m_labelRect = QRectF(-w / 2, -Radius - 6 - fm.height() - 4, w, fm.height() + 4);
        setZValue(10);
    }
    static constexpr qreal Radius = 10;

    QRectF boundingRect() const override
    {
        return m_labelRect.united(QRectF(-Radius - 2, -Radius - 2, 2 * Radius + 4, 2 * Radius + 6));
    }
    void paint(QPainter *p, const QStyleOptionGraphicsItem *, QWidget *) override
    {
        p->setRenderHint(QPainter::Antialiasing);
        p->setPen(Qt::NoPen);
        p->setBrush(QColor(0, 0, 0, 40));
        p->drawEllipse(QPointF(1.5, 2.5), Radius, Radius);
        p->setBrush(m_color);
        p->setPen(QPen(Qt::white, 2.5));
        p->drawEllipse(QPointF(0, 0), Radius, Radius);
        if (m_label.isEmpty())
            return;
        p->setPen(QPen(m_color, 1));
        p->setBrush(QColor(255, 255, 255, 235));
        p->drawRoundedRect(m_labelRect, 4, 4);
        p->setFont(m_font);
        p->setPen(m_color.darker(130));
        p->drawText(m_labelRect, Qt::AlignCenter, m_label);
    }

private:
    QString m_label;
    QColor m_color;
    QFont m_font;
    QRectF m_labelRect;
};

QPainterPath straight(const QPointF &a, const QPointF &b)
{
    QPainterPath p(a);
    p.lineTo(b);
    return p;
}

QPainterPath curve(const QPointF &a, const QPointF &b)
{
    QPainterPath p(a);
    const qreal dx = (b.x() - a.x()) / 2;
    p.cubicTo(a + QPointF(dx, 0), b - QPointF(dx, 0), b);
    return p;
}

} // namespace

PipelineDiagram::PipelineDiagram(QObject *parent)
    : QGraphicsScene(parent)
{
    setBackgroundBrush(QColor(0xfa, 0xfa, 0xfa));
    setDomain(nullptr);
}

QColor PipelineDiagram::flowColor(const PipelinePlayer::Flow &flow)
{
    if (flow.trace.issuedByReaction())
        return ReactionColor;
    return flow.external ? ExternalColor : CommandColor;
}

void PipelineDiagram::clearAll()
{
    for (const QPointer<QVariantAnimation> &a : std::as_const(m_animations))
        if (a)
            a->stop();
    m_animations.clear();
    m_tokens.clear();
    m_stopItems.clear();
    m_nodes.clear();
    m_edges.clear();
    m_banner = nullptr;
    m_queueInfo = nullptr;
    m_message = nullptr;
    m_stopText.clear();
    clear();
}

PipelineNodeItem *PipelineDiagram::addNode(const PipelineNodeRef &ref, const QString &title, const QString &subtitle,
                                           const QColor &color, const QPointF &at, qreal width)
{
    auto *item = new PipelineNodeItem(ref, title, subtitle, color, width);
    item->setPos(at);
    item->setZValue(2);
    addItem(item);
    m_nodes.insert(ref.key(), item);
    return item;
}

void PipelineDiagram::addEdge(const QString &from, const QString &to, const QPainterPath &path, bool dashed)
{
    Edge e;
    e.path = path;
    QPen pen(QColor(0x9e, 0x9e, 0x9e), 1.6);
    if (dashed)
        pen.setStyle(Qt::DashLine);
    pen.setCapStyle(Qt::RoundCap);
    e.line = addPath(path, pen);
    e.line->setZValue(1);
    // An arrowhead along the path's last direction.
    const QPointF tip = path.pointAtPercent(1.0);
    const qreal angle = -path.angleAtPercent(1.0) * M_PI / 180.0;
    const QPointF back(std::cos(angle), std::sin(angle));
    const QPointF side(-back.y(), back.x());
    QPainterPath head(tip);
    head.lineTo(tip - back * 10 + side * 5);
    head.lineTo(tip - back * 10 - side * 5);
    head.closeSubpath();
    e.head = addPath(head, QPen(Qt::NoPen), QColor(0x9e, 0x9e, 0x9e));
    e.head->setZValue(1);
    m_edges.insert(edgeKey(from, to), e);
}

bool PipelineDiagram::hasEdge(const QString &from, const QString &to) const
{
    return m_edges.contains(edgeKey(from, to));
}

void PipelineDiagram::highlightEdge(const QString &from, const QString &to, const QColor &color)
{
    const auto it = m_edges.constFind(edgeKey(from, to));
    if (it == m_edges.constEnd())
        return;
    QPen pen = it->line->pen();
    pen.setColor(color);
    pen.setWidthF(3.0);
    it->line->setPen(pen);
    it->head->setBrush(color);
}

void PipelineDiagram::addBand(const QRectF &rect, const QString &label, const QColor &color)
{
    QPainterPath p;
    p.addRoundedRect(rect, 14, 14);
    QColor fill = color;
    fill.setAlpha(22);
    QColor border = color;
    border.setAlpha(70);
    auto *band = addPath(p, QPen(border, 1, Qt::DashLine), fill);
    band->setZValue(0);
    auto *text = addSimpleText(label);
    QFont f = text->font();
    f.setPointSizeF(9);
    f.setBold(true);
    text->setFont(f);
    text->setBrush(color.darker(120));
    text->setPos(rect.left() + 12, rect.top() + 6);
    text->setZValue(0);
}

void PipelineDiagram::setDomain(const DomainInfo *info)
{
    clearAll();
    QStringList aggregates;
    QStringList projections;
    QStringList projectionKinds;
    QList<ReactionSpec> reactions;
    if (info) {
        for (const AggregateSpec &a : info->aggregates)
            aggregates << a.name;
        for (const ProjectionSpec &p : info->projections) {
            projections << p.name;
            projectionKinds << p.kind;
        }
        reactions = info->reactions;
    }
    const QColor clientColor(0x90, 0xa4, 0xae);
    const QColor writeColor(0x42, 0xa5, 0xf5);
    const QColor storeColor(0x66, 0xbb, 0x6a);
    const QColor readColor(0x26, 0xa6, 0x9a);
    const QColor reactColor(0xff, 0xa7, 0x26);

    const QString aggregateText = aggregates.isEmpty() ? tr("decide") : aggregates.join(u", "_s);
    addNode({PipelineNode::Client, {}}, pipelineNodeTitle(PipelineNode::Client), tr("console, CLI"), clientColor,
            {0, 0});
    addNode({PipelineNode::Command, {}}, pipelineNodeTitle(PipelineNode::Command), tr("id, stream, data"), writeColor,
            {PitchX, 0});
    addNode({PipelineNode::Validation, {}}, pipelineNodeTitle(PipelineNode::Validation), tr("declared fields"),
            writeColor, {2 * PitchX, 0});
    addNode({PipelineNode::Repository, {}}, pipelineNodeTitle(PipelineNode::Repository), tr("snapshot + events"),
            writeColor, {3 * PitchX, 0});
    addNode({PipelineNode::Aggregate, {}}, pipelineNodeTitle(PipelineNode::Aggregate), aggregateText, writeColor,
            {4 * PitchX, 0});
    addNode({PipelineNode::EventStore, {}}, pipelineNodeTitle(PipelineNode::EventStore), tr("append, versions"),
            storeColor, {5 * PitchX, 0});
    addNode({PipelineNode::EventBus, {}}, pipelineNodeTitle(PipelineNode::EventBus), tr("after commit"), storeColor,
            {6 * PitchX, 0});

    const QStringList main = {u"client"_s,    u"command"_s,    u"validation"_s, u"repository"_s,
                              u"aggregate"_s, u"eventStore"_s, u"eventBus"_s};
    for (int i = 0; i + 1 < main.size(); ++i)
        addEdge(main.at(i), main.at(i + 1),
                straight(QPointF(i * PitchX + HalfW, 0), QPointF((i + 1) * PitchX - HalfW - 2, 0)));

    // The fan-out column: projections, then reactions, centred on the main row.
    const int fanCount = int(projections.size() + reactions.size());
    const qreal fanX = FanX;
    auto fanY = [fanCount](int i) { return (i - (fanCount - 1) / 2.0) * PitchY; };
    const QPointF busOut(6 * PitchX + HalfW, 0);
    qreal projectionYSum = 0;
    for (int i = 0; i < projections.size(); ++i) {
        const QPointF at(fanX, fanY(i));
        projectionYSum += at.y();
        const QString kind = projectionKinds.at(i).isEmpty() ? tr("projection") : projectionKinds.at(i);
        auto *n = addNode({PipelineNode::Projection, projections.at(i)}, projections.at(i),
                          tr("%1 projection").arg(kind), readColor, at, PipelineNodeItem::WideWidth);
        addEdge(u"eventBus"_s, n->ref().key(), curve(busOut, at - QPointF(FanHalfW + 2, 0)));
    }
    const qreal readY = projections.isEmpty() ? 0 : projectionYSum / projections.size();
    addNode({PipelineNode::ReadStore, {}}, pipelineNodeTitle(PipelineNode::ReadStore), tr("queries read here"),
            readColor, {ReadX, readY});
    for (int i = 0; i < projections.size(); ++i) {
        const QPointF from(fanX + FanHalfW, fanY(i));
        addEdge(pipelineNodeKey(PipelineNode::Projection, projections.at(i)), u"readStore"_s,
                curve(from, QPointF(ReadX - HalfW - 2, readY)));
    }
    qreal lowest = HalfH;
    for (int i = 0; i < fanCount; ++i)
        lowest = qMax(lowest, fanY(i) + HalfH);
    const qreal laneTop = lowest + 44;
    for (int j = 0; j < reactions.size(); ++j) {
        const int i = int(projections.size()) + j;
        const QPointF at(fanX, fanY(i));
        auto *n =
            addNode({PipelineNode::Reaction, reactions.at(j).name}, reactions.at(j).name,
                    tr("reaction on %1").arg(reactions.at(j).eventType), reactColor, at, PipelineNodeItem::WideWidth);
        addEdge(u"eventBus"_s, n->ref().key(), curve(busOut, at - QPointF(FanHalfW + 2, 0)));
        // The commands a reaction issues go back to the command box, under everything else.
        const qreal lane = laneTop + j * 12;
        const qreal right = fanX + FanHalfW + 14 + j * 10;
        QPainterPath back(at + QPointF(FanHalfW, 0));
        back.lineTo(right - 8, at.y());
        back.quadTo(right, at.y(), right, at.y() + 8);
        back.lineTo(right, lane - 8);
        back.quadTo(right, lane, right - 8, lane);
        back.lineTo(PitchX + 8, lane);
        back.quadTo(PitchX, lane, PitchX, lane - 8);
        back.lineTo(PitchX, HalfH + 2);
        addEdge(n->ref().key(), u"command"_s, back, true);
    }

    // Where the two models of CQRS live.
    const qreal top = qMin(-HalfH, fanCount > 0 ? fanY(0) - HalfH : -HalfH);
    addBand(QRectF(PitchX - HalfW - 14, -HalfH - 34, 4 * PitchX + 2 * HalfW + 28, 2 * HalfH + 82), tr("Write side"),
            writeColor);
    if (!projections.isEmpty()) {
        const qreal pTop = fanY(0) - HalfH - 34;
        const qreal pBottom = fanY(int(projections.size()) - 1) + HalfH + 44;
        addBand(QRectF(fanX - FanHalfW - 14, qMin(pTop, readY - HalfH - 34), ReadX + HalfW - fanX + FanHalfW + 28,
                       qMax(pBottom, readY + HalfH + 44) - qMin(pTop, readY - HalfH - 34)),
                tr("Read side"), readColor);
    }

    const qreal bottom = reactions.isEmpty() ? qMax(lowest + 50, HalfH + 130) : laneTop + reactions.size() * 12 + 90;
    const qreal bannerTop = qMin(top - 50, -HalfH - 110);
    m_content = QRectF(-HalfW - 30, bannerTop - 10, ReadX + 2 * HalfW + 60, bottom - bannerTop + 20);
    setSceneRect(m_content);

    m_banner = addText(QString());
    m_banner->setPos(-HalfW - 20, bannerTop);
    m_banner->setZValue(5);
    QFont bf = m_banner->font();
    bf.setPointSizeF(12);
    m_banner->setFont(bf);
    m_queueInfo = addText(QString());
    m_queueInfo->setZValue(5);
    m_queueInfo->setPos(m_content.right() - 260, bannerTop);
    m_queueInfo->setTextWidth(250);
    m_message = addText(QString());
    m_message->setZValue(6);
    QFont mf = m_message->font();
    mf.setPointSizeF(13);
    m_message->setFont(mf);
    m_message->setDefaultTextColor(QColor(0x61, 0x61, 0x61));
    m_message->setPos(-HalfW - 20, bannerTop + 30);
}

void PipelineDiagram::setMessage(const QString &text)
{
    if (m_message)
        m_message->setPlainText(text);
}

QString PipelineDiagram::stopText() const
{
    return m_stopText;
}

QString PipelineDiagram::bannerText() const
{
    return m_banner ? m_banner->toPlainText() : QString();
}

void PipelineDiagram::clearTokens()
{
    for (const QPointer<QVariantAnimation> &a : std::as_const(m_animations))
        if (a)
            a->stop();
    m_animations.clear();
    qDeleteAll(m_tokens);
    m_tokens.clear();
}

void PipelineDiagram::resetFlow()
{
    clearTokens();
    qDeleteAll(m_stopItems);
    m_stopItems.clear();
    m_stopText.clear();
    for (PipelineNodeItem *n : std::as_const(m_nodes)) {
        n->setMark(PipelineNodeItem::Mark::None);
        n->setBadge({});
    }
    for (Edge &e : m_edges) {
        QPen pen = e.line->pen();
        pen.setColor(QColor(0x9e, 0x9e, 0x9e));
        pen.setWidthF(1.6);
        e.line->setPen(pen);
        e.head->setBrush(QColor(0x9e, 0x9e, 0x9e));
    }
    if (m_banner)
        m_banner->setHtml(QString());
}

void PipelineDiagram::addToken(const QString &label, const QColor &color, const QPainterPath &route, int durationMs)
{
    auto *token = new TokenItem(label, color);
    addItem(token);
    m_tokens.append(token);
    if (durationMs <= 0 || route.elementCount() < 2) {
        token->setPos(route.pointAtPercent(1.0));
        return;
    }
    token->setPos(route.pointAtPercent(0.0));
    auto *anim = new QVariantAnimation(this);
    anim->setStartValue(0.0);
    anim->setEndValue(1.0);
    anim->setDuration(durationMs);
    anim->setEasingCurve(QEasingCurve::InOutQuad);
    // Tokens are deleted only after their animation is stopped (clearTokens).
    connect(anim, &QVariantAnimation::valueChanged, anim,
            [token, route](const QVariant &v) { token->setPos(route.pointAtPercent(qBound(0.0, v.toDouble(), 1.0))); });
    m_animations.append(anim);
    anim->start(QAbstractAnimation::DeleteWhenStopped);
}

void PipelineDiagram::showHop(const PipelinePlayer::Flow &flow, int hop, int travelMs,
                              const QHash<QString, int> &extraMs)
{
    if (hop < 0 || hop >= flow.hops.size())
        return;
    const QColor color = flowColor(flow);
    const PipelineTrace &t = flow.trace;
    if (hop == 0) {
        resetFlow();
        QString head = u"<b style='color:%1'>#%2 %3</b> → %4"_s.arg(color.name())
                           .arg(flow.serial)
                           .arg(t.command.toHtmlEscaped(), t.stream.toHtmlEscaped());
        QString sub;
        if (t.issuedByReaction()) {
            sub = t.causationPosition > 0 ? tr("issued by %1, caused by event #%2 %3")
                                                .arg(t.reaction)
                                                .arg(t.causationPosition)
                                                .arg(t.causationType)
                                          : tr("issued by the reaction %1").arg(t.reaction);
        } else if (flow.external) {
            sub = tr("sent by another process");
        }
        if (!sub.isEmpty())
            head += u"<br><span style='font-size:small;color:#555'>%1</span>"_s.arg(sub.toHtmlEscaped());
        m_banner->setHtml(head);
    }
    // Clear what the previous hop showed as current.
    clearTokens();
    if (hop > 0) {
        for (const PipelineNodeRef &r : flow.hops.at(hop - 1))
            if (PipelineNodeItem *n = m_nodes.value(r.key()); n && n->mark() == PipelineNodeItem::Mark::Active)
                n->setMark(PipelineNodeItem::Mark::Visited);
    }
    const QList<PipelineNodeRef> &here = flow.hops.at(hop);
    const QList<PipelineNodeRef> previous = hop > 0 ? flow.hops.at(hop - 1) : QList<PipelineNodeRef>{};
    for (const PipelineNodeRef &r : here) {
        PipelineNodeItem *n = m_nodes.value(r.key());
        if (!n)
            continue;
        n->setMark(PipelineNodeItem::Mark::Active, color);
        if (hop < t.steps.size()) {
            const PipelineStep &s = t.steps.at(hop);
            if (!s.ran)
                n->setBadge(tr("not run"));
            else if (s.at.node != PipelineNode::Client && s.at.node != PipelineNode::Command &&
                     s.at.node != PipelineNode::Reaction)
                n->setBadge(StageBar::formatMicros(s.micros));
        }
        // The token comes from the previous hop's node that has an arrow to this one.
        QString from;
        for (const PipelineNodeRef &p : previous)
            if (hasEdge(p.key(), r.key())) {
                from = p.key();
                break;
            }
        QString label = t.command;
        if (r.node == PipelineNode::Projection || r.node == PipelineNode::Reaction) {
            QStringList types;
            for (const PipelineFanOut &f : t.fanOut)
                if ((r.node == PipelineNode::Projection && f.projections.contains(r.name)) ||
                    (r.node == PipelineNode::Reaction && f.reactions.contains(r.name)))
                    if (!types.contains(f.eventType))
                        types << f.eventType;
            label = types.join(u", "_s);
        } else if (r.node == PipelineNode::ReadStore) {
            label = tr("updated");
        }
        QPainterPath route;
        if (!from.isEmpty()) {
            highlightEdge(from, r.key(), color);
            route = m_edges.value(edgeKey(from, r.key())).path;
        } else {
            const QPointF edge = n->pos() - QPointF(n->width() / 2, 0);
            route = straight(edge, edge);
        }
        // The token rests where its arrow ends, at the box's edge, so the title stays readable.
        addToken(label, color, route, travelMs > 0 ? travelMs + extraMs.value(r.key()) : 0);
    }
    if (hop == flow.hops.size() - 1 && !t.accepted())
        showStop(flow);
}

void PipelineDiagram::showStop(const PipelinePlayer::Flow &flow)
{
    const PipelineTrace &t = flow.trace;
    PipelineNodeItem *n = m_nodes.value(t.stop().key());
    if (!n)
        return;
    const QColor color = outcomestyle::foreground(t.outcome);
    n->setMark(PipelineNodeItem::Mark::Stopped, color);
    auto *marker = addEllipse(QRectF(-13, -13, 26, 26), QPen(Qt::white, 2), color);
    marker->setPos(n->pos() + QPointF(n->width() / 2 - 4, -HalfH + 4));
    marker->setZValue(12);
    auto *sym = new QGraphicsSimpleTextItem(outcomestyle::symbol(t.outcome), marker);
    QFont sf = sym->font();
    sf.setPointSizeF(11);
    sf.setBold(true);
    sym->setFont(sf);
    sym->setBrush(Qt::white);
    sym->setPos(-sym->boundingRect().width() / 2, -sym->boundingRect().height() / 2);
    m_stopItems.append(marker);

    m_stopText = tr("%1 at %2").arg(outcomestyle::title(t.outcome), pipelineNodeTitle(t.stop().node));
    if (!t.reason.isEmpty())
        m_stopText += u": "_s + t.reason;
    auto *text = addText(QString());
    text->setTextWidth(300);
    text->setHtml(u"<div style='color:%1'><b>%2</b>%3</div>"_s.arg(
        color.name(),
        tr("%1 at %2").arg(outcomestyle::title(t.outcome), pipelineNodeTitle(t.stop().node)).toHtmlEscaped(),
        t.reason.isEmpty() ? QString() : u"<br>"_s + t.reason.toHtmlEscaped()));
    const QRectF textRect = text->boundingRect();
    QPointF at = n->pos() + QPointF(-textRect.width() / 2, HalfH + 30);
    at.setX(qBound(m_content.left() + 4, at.x(), m_content.right() - textRect.width() - 4));
    text->setPos(at);
    text->setZValue(11);
    QPainterPath box;
    box.addRoundedRect(QRectF(at, textRect.size()).adjusted(-2, -2, 2, 2), 6, 6);
    auto *bg = addPath(box, QPen(color, 1.2), QColor(0xff, 0xff, 0xff, 240));
    bg->setZValue(10.5);
    m_stopItems.append(text);
    m_stopItems.append(bg);
}

void PipelineDiagram::showFinished(const PipelinePlayer::Flow &flow)
{
    Q_UNUSED(flow);
    // Tokens rest where they arrived; the boxes keep their marks until the next flow.
}

void PipelineDiagram::setQueueInfo(int queued, int skipped)
{
    if (!m_queueInfo)
        return;
    QStringList parts;
    if (queued > 0)
        parts << tr("%n queued", nullptr, queued);
    if (skipped > 0)
        parts << u"<b style='color:#bf360c'>%1</b>"_s.arg(tr("+%1 skipped").arg(skipped));
    m_queueInfo->setHtml(u"<div align='right'>%1</div>"_s.arg(parts.join(u" · "_s)));
}

void PipelineDiagram::setProjectionDelay(const QString &projection, int delayMs)
{
    if (PipelineNodeItem *n = m_nodes.value(pipelineNodeKey(PipelineNode::Projection, projection)))
        n->setNote(delayMs <= 0     ? QString()
                   : delayMs < 1000 ? tr("delay %1 ms").arg(delayMs)
                                    : tr("delay %1 s").arg(delayMs / 1000.0, 0, 'g', 3));
}

} // namespace es
