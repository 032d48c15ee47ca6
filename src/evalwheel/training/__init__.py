"""Fine-tuning a system's model on its own training conversations (TRL + PEFT LoRA)."""
