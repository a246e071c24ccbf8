# Runs without Azure or the emulator: the provider is mocked, only its schema is used.

mock_provider "azurebackup" {
  mock_resource "azurebackup_instance" {
    defaults = {
      protection_state = "ProtectionConfigured"
    }
  }
}

variables {
  vault_id                   = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/vault-demo"
  policy_id                  = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupPolicies/p"
  snapshot_resource_group_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-snapshots"
  location                   = "westeurope"
  disk_ids = [
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/disks/a",
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/disks/b",
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/disks/c",
  ]
}

run "one_instance_per_disk" {
  command = apply

  assert {
    condition     = length(output.instance_ids) == 3
    error_message = "Expected one backup instance per disk."
  }

  assert {
    condition     = output.protection_states["/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/disks/b"] == "ProtectionConfigured"
    error_message = "The mocked protection state must flow to the output."
  }
}

run "no_disks_no_instances" {
  command = plan

  variables {
    disk_ids = []
  }

  assert {
    condition     = length(azurebackup_instance.disk) == 0
    error_message = "No disk, no instance."
  }
}
