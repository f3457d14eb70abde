# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Deciding, before anything moves: what each VM needs and where it can go.

The decision table (``decision``), what a VM asks of placement
(``demand``), whether it moves live (``live_moves``), room
(``capacity``), the scheduler's question asked of a model
(``placement_model``) over the cloud's shape (``topology``), whose
allocations placement holds (``consumers``), and the plan of a host or
of named servers (``plan``, ``facts``, ``destinations``). The
cores are pure; ``plan``, ``facts``, ``topology`` and
``destinations`` read through ``cloud`` and change nothing. May import
``cloud``; never moving, workflows or the commands.
"""
