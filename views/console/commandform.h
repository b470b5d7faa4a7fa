#pragma once

#include "domain.h"

#include <QJsonObject>
#include <QWidget>

class QFormLayout;
class QLabel;

namespace es {

class FieldEditor;

// The form of one command, generated from its declared fields: one
// FieldEditor per field, required fields marked, each with its inline error.
class CommandForm : public QWidget {
    Q_OBJECT
public:
    explicit CommandForm(QWidget *parent = nullptr);
    ~CommandForm() override;

    void setSpec(const CommandSpec &spec);
    const CommandSpec &spec() const { return m_spec; }
    QList<FieldEditor *> editors() const { return m_editors; }
    FieldEditor *editor(const QString &field) const;

    // The payload as filled in; unset fields are left out. Fields whose text
    // cannot be read at all are listed in *inputErrors (field -> message).
    QJsonObject payload(QJsonObject *inputErrors = nullptr) const;
    void setPayload(const QJsonObject &payload);
    // field -> message; fields not named are cleared. Marks the labels too.
    void showErrors(const QJsonObject &errors);
    void clearErrors() { showErrors({}); }

Q_SIGNALS:
    void edited(const QString &field);

private:
    CommandSpec m_spec;
    QFormLayout *m_layout;
    QList<FieldEditor *> m_editors;
    QList<QLabel *> m_labels;
    QLabel *m_empty;
};

} // namespace es
