#include "jsontreewidget.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QHeaderView>

using namespace Qt::StringLiterals;

namespace es {

JsonTreeWidget::JsonTreeWidget(QWidget *parent)
    : QTreeView(parent)
    , m_model(new JsonTreeModel(this))
    , m_copyValue(new QAction(tr("Copy &Value"), this))
    , m_copyPath(new QAction(tr("Copy &Path"), this))
{
    setModel(m_model);
    setUniformRowHeights(true);
    setAlternatingRowColors(true);
    setSelectionMode(QAbstractItemView::SingleSelection);
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    header()->setStretchLastSection(true);
    header()->setSectionResizeMode(JsonTreeModel::KeyColumn, QHeaderView::Interactive);

    m_copyValue->setObjectName(u"copyValueAction"_s);
    m_copyValue->setShortcut(QKeySequence::Copy);
    m_copyValue->setShortcutContext(Qt::WidgetShortcut);
    m_copyValue->setToolTip(tr("Copy the value of the current item (strings without quotes, objects as JSON)"));
    m_copyPath->setObjectName(u"copyPathAction"_s);
    m_copyPath->setShortcut(QKeySequence(u"Ctrl+Shift+C"_s));
    m_copyPath->setShortcutContext(Qt::WidgetShortcut);
    m_copyPath->setToolTip(tr("Copy the path of the current item, such as data.items[0].sku"));
    auto *separator = new QAction(this);
    separator->setSeparator(true);
    auto *expandAll = new QAction(tr("&Expand All"), this);
    auto *collapseAll = new QAction(tr("&Collapse All"), this);
    addActions({m_copyValue, m_copyPath, separator, expandAll, collapseAll});
    setContextMenuPolicy(Qt::ActionsContextMenu);

    connect(m_copyValue, &QAction::triggered, this, &JsonTreeWidget::copyValue);
    connect(m_copyPath, &QAction::triggered, this, &JsonTreeWidget::copyPath);
    connect(expandAll, &QAction::triggered, this, &QTreeView::expandAll);
    connect(collapseAll, &QAction::triggered, this, &QTreeView::collapseAll);
    connect(m_model, &QAbstractItemModel::modelReset, this, &JsonTreeWidget::afterReset);
    afterReset();
}

void JsonTreeWidget::setJson(const QJsonValue &value)
{
    m_model->setJson(value);
}

void JsonTreeWidget::setJson(const QJsonValue &value, const QJsonValue &before)
{
    m_model->setJson(value, before);
}

void JsonTreeWidget::setSections(const QList<JsonTreeModel::Section> &sections)
{
    m_model->setSections(sections);
}

void JsonTreeWidget::clear()
{
    m_model->clear();
}

void JsonTreeWidget::afterReset()
{
    // Small documents open fully; big ones show their first two levels.
    expandToDepth(m_model->rowCount() > 40 ? 0 : 2);
    resizeColumnToContents(JsonTreeModel::KeyColumn);
    const bool any = m_model->rowCount() > 0;
    m_copyValue->setEnabled(any);
    m_copyPath->setEnabled(any);
}

QString JsonTreeWidget::currentPath() const
{
    return m_model->pathOf(currentIndex());
}

QJsonValue JsonTreeWidget::currentValue() const
{
    return m_model->valueOf(currentIndex().siblingAtColumn(0));
}

void JsonTreeWidget::copyValue()
{
    if (currentIndex().isValid())
        QApplication::clipboard()->setText(JsonTreeModel::copyText(currentValue()));
}

void JsonTreeWidget::copyPath()
{
    if (currentIndex().isValid())
        QApplication::clipboard()->setText(currentPath());
}

} // namespace es
