#pragma once

#include "jsontreemodel.h"

#include <QTreeView>

class QAction;

namespace es {

// A read-only JSON tree with "Copy Value" (Ctrl+C) and "Copy Path"
// (Ctrl+Shift+C) on the current item, from the context menu or the keyboard.
class JsonTreeWidget : public QTreeView {
    Q_OBJECT
public:
    explicit JsonTreeWidget(QWidget *parent = nullptr);

    JsonTreeModel *jsonModel() const { return m_model; }
    void setJson(const QJsonValue &value);
    void setJson(const QJsonValue &value, const QJsonValue &before);
    void setSections(const QList<JsonTreeModel::Section> &sections);
    void clear();

    QString currentPath() const;
    QJsonValue currentValue() const;

    QAction *copyValueAction() const { return m_copyValue; }
    QAction *copyPathAction() const { return m_copyPath; }

public Q_SLOTS:
    void copyValue();
    void copyPath();

private:
    void afterReset();

    JsonTreeModel *m_model;
    QAction *m_copyValue;
    QAction *m_copyPath;
};

} // namespace es
